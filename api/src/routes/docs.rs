//! Swagger UI, served from the binary (`api/assets/swagger-ui/`: only the files the page loads). Every
//! link is relative, so the page works under a path prefix such as API Gateway's `/dev/`.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::error_response;

/// Each file of the page: its name under `docs/`, its content type and its bytes.
const FILES: [(&str, &str, &[u8]); 7] = [
    ("index.html", "text/html; charset=utf-8", include_bytes!("../../assets/swagger-ui/index.html")),
    (
        "swagger-initializer.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-initializer.js"),
    ),
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    ("swagger-ui.css", "text/css; charset=utf-8", include_bytes!("../../assets/swagger-ui/swagger-ui.css")),
    ("index.css", "text/css; charset=utf-8", include_bytes!("../../assets/swagger-ui/index.css")),
    ("favicon-32x32.png", "image/png", include_bytes!("../../assets/swagger-ui/favicon-32x32.png")),
    ("favicon-16x16.png", "image/png", include_bytes!("../../assets/swagger-ui/favicon-16x16.png")),
];

/// `/docs` → `docs/`, relative, so the prefix is kept.
pub async fn docs_redirect() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "docs/")]).into_response()
}

pub async fn docs_index() -> Response {
    serve_file("index.html")
}

pub async fn docs_file(Path(path): Path<String>) -> Response {
    serve_file(&path)
}

fn serve_file(path: &str) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, bytes)) => ([(header::CONTENT_TYPE, *content_type)], *bytes).into_response(),
        None => error_response(StatusCode::NOT_FOUND, "not_found", format!("no docs file {path}")),
    }
}
