// Written for runyard (not part of swagger-ui-dist): starts Swagger UI on the
// gateway's own document, with "Try it out" on.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    tryItOutEnabled: true,
    deepLinking: true,
  });
});
