// The spec is relative to `…/docs/`, so the page works under any prefix such as API Gateway's `/dev/`;
// no validator is called (it would send the spec elsewhere).
window.onload = function () {
  window.ui = SwaggerUIBundle({
    "dom_id": "#swagger-ui",
    "url": "../openapi.json",
    "validatorUrl": "none",
    "deepLinking": true,
    "presets": [SwaggerUIBundle.presets.apis],
    "plugins": [SwaggerUIBundle.plugins.DownloadUrl],
  });
};
