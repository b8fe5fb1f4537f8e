//! Hardening of `gatehouse serve`: strict request bodies (an empty entity UUID) answered with
//! specific JSON errors. A real server in process on
//! 127.0.0.1 (ephemeral port, temp SQLite store); every test is bounded in time.

mod support;

use gatehouse::backend::Backend;
use gatehouse::server::ServerConfig;
use gatehouse::service::PermissionSpec;
use serde_json::{Value, json};
use support::{Fixture, bounded, start};

/// Sends `rb` with the key; the status and the JSON body (every answer, errors too, is JSON).
async fn send(f: &Fixture, rb: reqwest::RequestBuilder) -> (u16, Value) {
    let res = rb.bearer_auth(&f.admin_key).send().await.expect("send");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// The code, field and message of an error answer.
fn error_of(body: &Value) -> (String, String, String) {
    let e = &body["error"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (s(&e["code"]), s(&e["field"]), s(&e["message"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_entity_uuid_is_refused_not_read_as_every_entity() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let before = f.revision();
        let body = json!({"catalog": "mage", "entity": "Pipeline", "entity_uuid": "",
                          "grants": ["LIST"]});
        let (s, b) = send(&f, c.post(f.api("/permissions")).json(&body)).await;
        let (code, field, _) = error_of(&b);
        assert_eq!(
            (s, code.as_str(), field.as_str()),
            (400, "invalid", "entity_uuid"),
            "{b}"
        );
        let (s, b) = send(
            &f,
            c.post(f.api("/import"))
                .json(&json!({"permissions": [{"key": "p", "catalog": "mage",
                "entity": "Pipeline", "entity_uuid": "", "grants": ["LIST"]}]})),
        )
        .await;
        let (code, field, _) = error_of(&b);
        assert_eq!(
            (s, code.as_str(), field.as_str()),
            (400, "invalid", "permissions[0].entity_uuid"),
            "{b}"
        );
        assert_eq!(f.revision(), before);
        // An update to "" is refused too; leaving it out (or null) means every entity.
        let perm = f
            .local()
            .create_permission(PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipeline".into(),
                entity_uuid: Some("example_pipeline".into()),
                grants: vec!["LIST".into()],
                ..Default::default()
            })
            .await
            .expect("permission");
        let path = f.api(&format!("/permissions/{}", perm.id));
        let mut body = json!({"catalog": "mage", "entity": "Pipeline", "entity_uuid": "",
                              "grants": ["LIST"], "version": perm.version});
        let (s, b) = send(&f, c.put(&path).json(&body)).await;
        let (_, field, _) = error_of(&b);
        assert_eq!((s, field.as_str()), (400, "entity_uuid"), "{b}");
        body["entity_uuid"] = Value::Null;
        let (s, b) = send(&f, c.put(&path).json(&body)).await;
        assert_eq!((s, b["entity_uuid"].clone()), (200, Value::Null), "{b}");
    })
    .await;
}
