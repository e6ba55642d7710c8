//! Swagger UI, served from the binary. Every link is relative, so the page works under a path prefix such
//! as API Gateway's `/dev/`.

use std::sync::{Arc, LazyLock};

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::error_response;

static CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> = LazyLock::new(|| {
    // Relative to `…/docs/`, so `…/openapi.json` under any prefix; no validator is called.
    Arc::new(utoipa_swagger_ui::Config::new(["../openapi.json"]).validator_url("none"))
});

/// `/docs` → `docs/`, relative, so the prefix is kept.
pub async fn docs_redirect() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "docs/")]).into_response()
}

pub async fn docs_index() -> Response {
    serve_file("")
}

pub async fn docs_file(Path(path): Path<String>) -> Response {
    serve_file(&path)
}

fn serve_file(path: &str) -> Response {
    match utoipa_swagger_ui::serve(path, Arc::clone(&CONFIG)) {
        Ok(Some(file)) => {
            ([(header::CONTENT_TYPE, file.content_type)], file.bytes.into_owned()).into_response()
        }
        Ok(None) => error_response(StatusCode::NOT_FOUND, "not_found", format!("no docs file {path}")),
        Err(error) => {
            tracing::error!(%error, "serving the docs failed");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the docs are unavailable")
        }
    }
}
