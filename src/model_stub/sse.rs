//! Rendering a [`Reply`] as the Messages API does: a stream of SSE events
//! (`message_start`, `content_block_start`, `content_block_delta` with
//! `text_delta` / `input_json_delta`, `content_block_stop`, `message_delta`,
//! `message_stop`, and `ping` while a reply is held) or one JSON message.

use serde_json::{Value, json};

use super::script::Reply;

/// One SSE frame: `event: NAME\ndata: JSON\n\n`.
pub fn frame(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

fn stop_reason(r: &Reply) -> &'static str {
    if r.tool.is_some() {
        "tool_use"
    } else {
        "end_turn"
    }
}

fn usage(r: &Reply) -> Value {
    json!({"input_tokens": 12, "output_tokens": 1 + r.text.len() / 4, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
}

/// The opening frame of a streamed reply.
pub fn start(id: &str, model: &str) -> String {
    frame(
        "message_start",
        &json!({"type": "message_start", "message": {"id": id, "type": "message", "role": "assistant",
            "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 12, "output_tokens": 1}}}),
    )
}

/// A keep-alive frame.
pub fn ping() -> String {
    frame("ping", &json!({"type": "ping"}))
}

/// The frames after `message_start`: content blocks, then the end.
pub fn body(r: &Reply) -> Vec<String> {
    let mut out = Vec::new();
    let mut index = 0;
    if !r.text.is_empty() {
        out.push(frame("content_block_start", &json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})));
        let chars: Vec<char> = r.text.chars().collect();
        for chunk in chars.chunks(24) {
            let piece: String = chunk.iter().collect();
            out.push(frame("content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}})));
        }
        out.push(frame(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    if let Some((id, name, input)) = &r.tool {
        out.push(frame("content_block_start", &json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}})));
        out.push(frame("content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": input.to_string()}})));
        out.push(frame(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    out.push(frame("message_delta", &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason(r), "stop_sequence": null}, "usage": {"output_tokens": usage(r)["output_tokens"]}})));
    out.push(frame("message_stop", &json!({"type": "message_stop"})));
    out
}

/// The whole reply as one JSON message (`"stream": false`).
pub fn message(id: &str, model: &str, r: &Reply) -> Value {
    let mut content = Vec::new();
    if !r.text.is_empty() {
        content.push(json!({"type": "text", "text": r.text}));
    }
    if let Some((tid, name, input)) = &r.tool {
        content.push(json!({"type": "tool_use", "id": tid, "name": name, "input": input}));
    }
    json!({"id": id, "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": stop_reason(r), "stop_sequence": null, "usage": usage(r)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_reply_streams_text_then_tool_use() {
        let r = Reply {
            text: "hi".into(),
            tool: Some(("t1".into(), "Write".into(), json!({"a": 1}))),
            delay_ms: 0,
        };
        let frames = body(&r).concat();
        assert!(frames.find("text_delta") < frames.find("input_json_delta"));
        assert!(frames.contains("\"stop_reason\":\"tool_use\""));
        assert!(frames.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
        let m = message("m1", "claude", &r);
        assert_eq!(m["content"][1]["input"]["a"], 1);
    }
}
