/* yvy field geometry in the browser: distance and initial bearing between two WGS84 points (on the
   sphere of mean radius: within 0.5 % of the ellipsoid), and WGS84 -> UTM (Krüger series to n^6,
   after Karney 2011, with the Norway and Svalbard zone exceptions). Exposes window.yvyGeo. */
(function () {
  "use strict";
  const R = 6371008.8;
  const rad = (d) => d * Math.PI / 180;
  const POINTS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];

  function distance(lat1, lon1, lat2, lon2) {
    const dphi = rad(lat2 - lat1), dlam = rad(lon2 - lon1);
    const h = Math.sin(dphi / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dlam / 2) ** 2;
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function bearing(lat1, lon1, lat2, lon2) {
    const p1 = rad(lat1), p2 = rad(lat2), dl = rad(lon2 - lon1);
    const y = Math.sin(dl) * Math.cos(p2);
    const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
    return (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
  }

  function compass(deg) { return POINTS[Math.round(deg / 45) % 8]; }

  function utmZone(lat, lon) {
    let zone = Math.floor((lon + 180) / 6) + 1;
    if (zone > 60) zone = 60;
    if (lat >= 56 && lat < 64 && lon >= 3 && lon < 12) zone = 32;
    if (lat >= 72 && lat < 84 && lon >= 0 && lon < 42) zone = lon < 9 ? 31 : lon < 21 ? 33 : lon < 33 ? 35 : 37;
    return zone;
  }

  function toUtm(lat, lon) {
    const a = 6378137, f = 1 / 298.257223563, k0 = 0.9996;
    const zone = utmZone(lat, lon);
    const lon0 = rad((zone - 1) * 6 - 180 + 3);
    const e = Math.sqrt(f * (2 - f)), n = f / (2 - f);
    const n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n, n6 = n5 * n;
    const A = a / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256);
    const alpha = [0,
      n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 + 7891 * n6 / 37800,
      13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 - 1983433 * n6 / 1935360,
      61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440,
      49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600,
      34729 * n5 / 80640 - 3418889 * n6 / 1995840,
      212378941 * n6 / 319334400];
    const phi = rad(lat), lam = rad(lon) - lon0;
    const tau = Math.tan(phi);
    const sigma = Math.sinh(e * Math.atanh(e * tau / Math.sqrt(1 + tau * tau)));
    const taup = tau * Math.sqrt(1 + sigma * sigma) - sigma * Math.sqrt(1 + tau * tau);
    const xip = Math.atan2(taup, Math.cos(lam));
    const etap = Math.asinh(Math.sin(lam) / Math.sqrt(taup * taup + Math.cos(lam) ** 2));
    let xi = xip, eta = etap;
    for (let j = 1; j <= 6; j++) {
      xi += alpha[j] * Math.sin(2 * j * xip) * Math.cosh(2 * j * etap);
      eta += alpha[j] * Math.cos(2 * j * xip) * Math.sinh(2 * j * etap);
    }
    return { zone: zone, hemisphere: lat < 0 ? "S" : "N", easting: k0 * A * eta + 500000,
      northing: k0 * A * xi + (lat < 0 ? 10000000 : 0) };
  }

  function utmText(lat, lon) {
    const u = toUtm(lat, lon);
    return u.zone + u.hemisphere + " " + Math.round(u.easting) + " E " + Math.round(u.northing) + " N";
  }

  function distanceText(m) { return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(m < 10000 ? 2 : 1) + " km"; }

  /* A point of a GeoJSON (Multi)Polygon to navigate to: the centre of its bounding box. */
  function target(geometry) {
    const xs = [], ys = [];
    (function walk(c) { if (typeof c[0] === "number") { xs.push(c[0]); ys.push(c[1]); } else c.forEach(walk); })(geometry.coordinates);
    return { lon: (Math.min(...xs) + Math.max(...xs)) / 2, lat: (Math.min(...ys) + Math.max(...ys)) / 2 };
  }

  window.yvyGeo = { distance, bearing, compass, toUtm, utmText, distanceText, target };
})();
