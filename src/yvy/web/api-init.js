// The API documentation page: Swagger UI (served by this server) over the OpenAPI document at /api.
window.ui = SwaggerUIBundle({ url: "/api", dom_id: "#swagger-ui", deepLinking: true });
