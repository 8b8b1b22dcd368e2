//! The OpenAPI 3.1 description of the API, served at `GET
//! /api/openapi.json`: every route is registered through [`api`], whose
//! `routes!` take the handlers' `#[utoipa::path]` annotations, so a route
//! cannot be served without being described. What every route shares (the
//! bearer scheme of the TCP listener, its 401 and 403, the 413 and 408 of
//! the body limits, the 503 of a busy instance) is added by [`spec`].

use std::sync::OnceLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use crate::runtime::RuntimeHandle;

/// The name of the bearer security scheme in the description.
pub const BEARER: &str = "bearer";

/// The routes nobody but `nox hook` should call carry this extension (and
/// the `internal` tag).
pub const INTERNAL: &str = "x-internal";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "nox",
        description = "The HTTP API of a running nox instance. It is served on the control \
            socket `.nox/nox.sock` (no token: the file's mode 0600 is the access control) and, \
            with `nox --headless --listen ADDR`, on TCP, where every route but `/health` needs \
            `Authorization: Bearer <the token in .nox/api-token>` and a `Host` naming the \
            listener. Errors are `{\"error\": {\"code\", \"message\"}}`. See docs/api.md."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "health", description = "Whether the instance answers"),
        (name = "agents", description = "Agents: definitions, processes, screens, input, approvals"),
        (name = "tasks", description = "The task queue"),
        (name = "messages", description = "Messages between agents and the user"),
        (name = "events", description = "The event log as Server-Sent Events"),
        (name = "meta", description = "This description"),
        (name = "internal", description = "Used by `nox hook` only; not a public interface"),
    )
)]
struct ApiDoc;

/// Every route of the API with its description: the router serves what
/// this registers, and [`spec`] describes the same.
pub fn api() -> OpenApiRouter<RuntimeHandle> {
    // Routes that answer at once, under the handler deadline.
    let prompt = OpenApiRouter::new()
        .routes(routes!(super::health))
        .routes(routes!(openapi_json))
        .merge(super::agents::routes())
        .merge(super::tasks::routes())
        .merge(super::messages::routes())
        .merge(super::metrics::routes())
        .route_layer(super::layers::handler_deadline());
    // Routes that wait: a hook for a decision (up to 600 s), the event
    // stream for ever.
    let waiting = OpenApiRouter::new()
        .routes(routes!(super::hook))
        .merge(super::events::routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(prompt)
        .merge(waiting)
}

/// The finished description: [`api`]'s paths and schemas, with the bearer
/// scheme on every route but `/health` and the answers every route can give.
pub fn spec() -> utoipa::openapi::OpenApi {
    let mut doc = api().into_openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "On the TCP listener only: the token in `.nox/api-token` (64 hex digits). \
                     The control socket needs none.",
                ))
                .build(),
        ),
    );
    for (name, description) in SHARED {
        components.responses.insert(
            (*name).to_string(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(*description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    doc.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    for (path, item) in &mut doc.paths.paths {
        for op in operations(item) {
            let open = path == "/health";
            if open {
                op.security = Some(Vec::new());
            }
            let mut shared = vec![("403", "ForeignHost"), ("503", "Busy")];
            if !open {
                shared.push(("401", "Unauthorized"));
            }
            if op.request_body.is_some() {
                shared.extend([("408", "Timeout"), ("413", "TooLarge")]);
            }
            for (status, name) in shared {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
    doc
}

/// The answers every route can give, by name in `components.responses`.
const SHARED: &[(&str, &str)] = &[
    (
        "Unauthorized",
        "TCP only: no `Authorization: Bearer` with the token of `.nox/api-token` \
         (`unauthorized`; the answer has `WWW-Authenticate: Bearer`)",
    ),
    (
        "ForeignHost",
        "TCP only: the `Host` header does not name the listener (`foreign_host`; DNS rebinding)",
    ),
    (
        "Timeout",
        "The request body did not arrive in time (`timeout`)",
    ),
    (
        "TooLarge",
        "The request body is over the size limit (`too_large`)",
    ),
    (
        "Busy",
        "Too many connections (`busy`), or the runtime or its store is unavailable \
         (`gone`, `store`)",
    ),
];

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// This description, as JSON.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 description of this API", body = Object, content_type = "application/json"),
    )
)]
async fn openapi_json() -> Response {
    static TEXT: OnceLock<Result<String, String>> = OnceLock::new();
    match TEXT.get_or_init(|| serde_json::to_string(&spec()).map_err(|e| e.to_string())) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text.clone()).into_response(),
        Err(e) => ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the OpenAPI description could not be written: {e}"),
        )
        .into_response(),
    }
}
