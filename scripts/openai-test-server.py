#!/usr/bin/env python3
"""An OpenAI-compatible HTTP server for Warden's tests and benchmarks (stdlib only, no real LLM).

Usage:

    scripts/openai-test-server.py --port 0 [--require-auth 'Bearer sk-upstream-123'] \
        [--log requests.jsonl] [--script examples/autogen/script.json] [--sse-chunk-bytes 3]

Prints `LISTENING <port>` on stdout (flushed) once it accepts connections.

Routes:
- GET  /v1/models, GET /v1/models/{id}     models scripted-model, scripted-mini, gpt-4o
- POST /v1/chat/completions                 JSON, or SSE with "stream": true (chunked encoding),
                                            `stream_options.include_usage` adds a usage chunk
- POST /v1/embeddings                       deterministic 8-dimensional vectors (float or base64)
- DELETE /v1/files/{id}                     {"id": ..., "object": "file", "deleted": true}
- any method on /echo/...                   the request as JSON (method, path, query, headers, body)
- any JSON reply                            carries `X-Reflected: <value>` when the request sent
                                            `X-Reflect-Header: <value>` (personal data in headers)
- GET  /gzip/...                            a gzip-encoded JSON body holding an email address, whatever
                                            the request's Accept-Encoding (an upstream that ignores it)
- anything else                             404 with an OpenAI-style error body

Chat replies: without --script the reply is the --reply text followed by ` You said: ` and the
last user message. The default text holds an email address, a card number and non-ASCII
characters, so masking of JSON and of SSE split inside UTF-8 characters can be tested. Any model
name is accepted (an allow-list is the gateway's job; the request log shows what got through).

With --script FILE (a JSON list of turns), the turn is chosen by the number of `role: tool`
messages in the request (0 -> first turn, 1 -> second, ...; the last turn repeats). A turn is
`{"content": "..."}` or `{"tool_calls": [{"name": "query_db", "arguments": {"sql": "..."}}]}`;
tool call ids are `call_<n>`, numbered from 1 across the whole script, so they are stable.

Tokens are counted as whitespace-separated words: prompt tokens over the text of all request
messages (and their tool call arguments), completion tokens over the reply (or its tool calls).

Streams send one delta per --stream-delta-words words (default 1, like a real model splitting a
card number over several deltas; 0 = the whole content in one delta). With --sse-chunk-bytes N the
SSE bytes go out in N-byte pieces (across event boundaries, inside `data:` lines and UTF-8
characters), one HTTP chunk and one TCP send each, with --sse-chunk-delay seconds between them.

--log FILE appends one JSON line per request: method, path, query, headers (lower-case names,
repeated headers joined with ", "), raw_headers ([name, value] pairs as received), body (text),
peer_port (the client's TCP port: equal ports mean one kept-open connection), status.

With --tls-cert FILE --tls-key FILE it serves HTTPS (the certificate file may hold the chain). Authorization is logged as received: this is a test server, the values are test values.
"""

import argparse
import base64
import gzip
import hashlib
import json
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

MODELS = ["scripted-model", "scripted-mini", "gpt-4o"]
CREATED = 1_700_000_000
DEFAULT_REPLY = "Contact jane.doe@example.com, card 4111 1111 1111 1111 (Zoë’s account)."
EMBEDDING_DIMS = 8


class HttpError(Exception):
    """An error answered with an OpenAI-style JSON body."""

    def __init__(self, status, message, kind="invalid_request_error", code=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code


def error_body(message, kind, code=None, param=None):
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def words(text):
    return len(text.split()) if isinstance(text, str) else 0


def content_text(content):
    """The text of a message's content: a string, or a list of parts with text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return " ".join(t for t in texts if isinstance(t, str))
    return ""


def prompt_tokens(messages):
    total = 0
    for message in messages:
        if not isinstance(message, dict):
            continue
        total += words(content_text(message.get("content")))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {}) if isinstance(call, dict) else {}
            total += words(function.get("name", "")) + words(function.get("arguments", ""))
    return total


def split_words(text, per_delta):
    """Splits text into deltas of `per_delta` words, each keeping its trailing whitespace."""
    if per_delta <= 0 or not text:
        return [text]
    pieces, current, count, i = [], "", 0, 0
    while i < len(text):
        # Take one word and the whitespace after it.
        j = i
        while j < len(text) and not text[j].isspace():
            j += 1
        while j < len(text) and text[j].isspace():
            j += 1
        current += text[i:j]
        count += 1
        i = j
        if count == per_delta:
            pieces.append(current)
            current, count = "", 0
    if current:
        pieces.append(current)
    return pieces


def load_script(path):
    with open(path, encoding="utf-8") as handle:
        turns = json.load(handle)
    if not isinstance(turns, list) or not turns:
        raise SystemExit(f"{path}: expected a non-empty JSON list of turns")
    next_id = 1
    prepared = []
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or ("content" in turn) == ("tool_calls" in turn):
            raise SystemExit(f"{path}: turn {index} needs exactly one of content or tool_calls")
        if "content" in turn:
            prepared.append({"content": str(turn["content"])})
            continue
        calls = []
        for call in turn["tool_calls"]:
            arguments = call.get("arguments", {})
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            calls.append({"id": f"call_{next_id}", "name": call["name"], "arguments": arguments})
            next_id += 1
        prepared.append({"tool_calls": calls})
    return prepared


class Options:
    """Server-wide settings, shared by the handler threads."""

    def __init__(self, args):
        self.require_auth = args.require_auth
        self.reply = args.reply
        self.script = load_script(args.script) if args.script else None
        self.sse_chunk_bytes = args.sse_chunk_bytes
        self.sse_chunk_delay = args.sse_chunk_delay
        self.stream_delta_words = args.stream_delta_words
        self.log_path = args.log
        self.log_lock = threading.Lock()
        self.counter = 0
        self.counter_lock = threading.Lock()

    def next_id(self):
        with self.counter_lock:
            self.counter += 1
            return self.counter


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openai-test-server/1"
    disable_nagle_algorithm = True
    options = None  # set in main()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    # --- request plumbing -------------------------------------------------------------------

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def do_PATCH(self):
        self.handle_request()

    def do_DELETE(self):
        self.handle_request()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers, up to the empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def request_record(self, body):
        split = urlsplit(self.path)
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return {
            "method": self.command,
            "path": split.path,
            "query": split.query,
            "headers": headers,
            "raw_headers": [[name, value] for name, value in self.headers.items()],
            "body": body.decode("utf-8", errors="replace"),
            "peer_port": self.client_address[1],
        }

    def write_log(self, record, status):
        if not self.options.log_path:
            return
        line = json.dumps(dict(record, status=status), ensure_ascii=False)
        with self.options.log_lock, open(self.options.log_path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def handle_request(self):
        self.status = None
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        record = self.request_record(body)
        try:
            self.check_auth()
            self.route(record, body)
        except HttpError as error:
            self.send_json(error.status, error_body(error.message, error.kind, error.code))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.write_log(record, self.status)

    def check_auth(self):
        expected = self.options.require_auth
        if expected is None:
            return
        values = self.headers.get_all("Authorization") or []
        if values != [expected]:
            raise HttpError(
                401,
                "Incorrect API key provided.",
                kind="invalid_request_error",
                code="invalid_api_key",
            )

    def send_json(self, status, document):
        data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        reflected = self.headers.get("X-Reflect-Header")
        if reflected is not None:
            self.send_header("X-Reflected", reflected)
        self.end_headers()
        self.wfile.write(data)

    # --- routes -----------------------------------------------------------------------------

    def route(self, record, body):
        path = urlsplit(self.path).path
        method = self.command
        if path == "/echo" or path.startswith("/echo/"):
            self.send_json(200, record)
        elif (path == "/gzip" or path.startswith("/gzip/")) and method == "GET":
            data = gzip.compress(json.dumps({"note": "mail ada@example.com"}).encode("utf-8"))
            self.status = 200
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif path == "/v1/models" and method == "GET":
            self.send_json(200, {"object": "list", "data": [model(m) for m in MODELS]})
        elif path.startswith("/v1/models/") and method == "GET":
            name = unquote(path[len("/v1/models/") :])
            if name not in MODELS:
                raise HttpError(
                    404, f"The model '{name}' does not exist", code="model_not_found"
                )
            self.send_json(200, model(name))
        elif path == "/v1/chat/completions" and method == "POST":
            self.chat(parse_json(body))
        elif path == "/v1/embeddings" and method == "POST":
            self.send_json(200, embeddings(parse_json(body)))
        elif path.startswith("/v1/files/") and method == "DELETE":
            file_id = unquote(path[len("/v1/files/") :])
            self.send_json(200, {"id": file_id, "object": "file", "deleted": True})
        else:
            raise HttpError(404, f"Unknown request URL: {method} {path}", code="unknown_url")

    def chat(self, request):
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages:
            raise HttpError(400, "'messages' must be a non-empty array", code="invalid_messages")
        name = request.get("model")
        if not isinstance(name, str) or not name:
            raise HttpError(400, "you must provide a model parameter", code="missing_model")
        turn = self.choose_turn(messages)
        completion_id = f"chatcmpl-{self.options.next_id()}"
        if turn.get("tool_calls"):
            completion = sum(
                words(c["name"]) + words(c["arguments"]) for c in turn["tool_calls"]
            )
        else:
            completion = words(turn["content"])
        prompt = prompt_tokens(messages)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if request.get("stream"):
            options = request.get("stream_options") or {}
            self.stream_chat(completion_id, name, turn, usage, bool(options.get("include_usage")))
        else:
            self.send_json(200, chat_completion(completion_id, name, turn, usage))

    def choose_turn(self, messages):
        script = self.options.script
        if script is None:
            last_user = ""
            for message in messages:
                if isinstance(message, dict) and message.get("role") == "user":
                    last_user = content_text(message.get("content"))
            return {"content": f"{self.options.reply} You said: {last_user}"}
        tools = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "tool")
        return script[min(tools, len(script) - 1)]

    def stream_chat(self, completion_id, name, turn, usage, include_usage):
        self.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        writer = SseWriter(self.wfile, self.options.sse_chunk_bytes, self.options.sse_chunk_delay)
        for chunk in chat_chunks(
            completion_id, name, turn, usage, include_usage, self.options.stream_delta_words
        ):
            writer.event(json.dumps(chunk, ensure_ascii=False))
        writer.event("[DONE]")
        writer.finish()


class SseWriter:
    """Writes SSE events as HTTP chunks, whole or in fixed-size byte pieces."""

    def __init__(self, out, piece_bytes, delay):
        self.out = out
        self.piece_bytes = piece_bytes
        self.delay = delay
        self.pending = b""

    def event(self, data):
        raw = f"data: {data}\n\n".encode("utf-8")
        if not self.piece_bytes:
            self.chunk(raw)
            return
        self.pending += raw
        while len(self.pending) >= self.piece_bytes:
            piece, self.pending = (
                self.pending[: self.piece_bytes],
                self.pending[self.piece_bytes :],
            )
            self.chunk(piece)
            if self.delay:
                time.sleep(self.delay)

    def chunk(self, data):
        self.out.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.out.flush()

    def finish(self):
        if self.pending:
            self.chunk(self.pending)
            self.pending = b""
        self.out.write(b"0\r\n\r\n")
        self.out.flush()


def parse_json(body):
    try:
        document = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HttpError(400, f"could not parse the JSON body: {error}") from error
    if not isinstance(document, dict):
        raise HttpError(400, "the JSON body must be an object")
    return document


def model(name):
    return {"id": name, "object": "model", "created": CREATED, "owned_by": "warden-test"}


def tool_call(call, index=None):
    entry = {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": call["arguments"]},
    }
    if index is not None:
        entry = {"index": index, **entry}
    return entry


def chat_completion(completion_id, name, turn, usage):
    if turn.get("tool_calls"):
        message = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [tool_call(c) for c in turn["tool_calls"]],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": turn["content"], "refusal": None}
        finish = "stop"
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": name,
        "system_fingerprint": "fp_warden_test",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        ],
        "usage": usage,
    }


def chat_chunks(completion_id, name, turn, usage, include_usage, per_delta):
    def chunk(delta, finish=None):
        document = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": name,
            "system_fingerprint": "fp_warden_test",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            ],
        }
        if include_usage:
            document["usage"] = None
        return document

    if turn.get("tool_calls"):
        yield chunk({"role": "assistant", "content": None, "refusal": None})
        for index, call in enumerate(turn["tool_calls"]):
            head = tool_call(dict(call, arguments=""), index)
            yield chunk({"tool_calls": [head]})
            for piece in split_words(call["arguments"], per_delta):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, "tool_calls")
    else:
        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for piece in split_words(turn["content"], per_delta):
            yield chunk({"content": piece})
        yield chunk({}, "stop")
    if include_usage:
        final = chunk({})
        final["choices"] = []
        final["usage"] = usage
        yield final


def embedding_vector(text):
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [round((digest[i] - 127.5) / 127.5, 6) for i in range(EMBEDDING_DIMS)]


def embeddings(request):
    inputs = request.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise HttpError(400, "'input' must be a string or a non-empty array")
    # Token arrays (lists of ints) are embedded by their JSON text.
    texts = [i if isinstance(i, str) else json.dumps(i) for i in inputs]
    base64_format = request.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(text)
        if base64_format:
            packed = struct.pack(f"<{len(vector)}f", *vector)
            vector = base64.b64encode(packed).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = sum(words(t) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": request.get("model") or "text-embedding-test",
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client dropping an idle keep-alive connection is normal, not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 picks a free one (default)")
    parser.add_argument("--require-auth", metavar="VALUE", help="exact Authorization header")
    parser.add_argument("--log", metavar="FILE", help="append one JSON line per request")
    parser.add_argument("--script", metavar="FILE", help="scripted chat turns (JSON list)")
    parser.add_argument("--reply", default=DEFAULT_REPLY, help="chat reply text without --script")
    parser.add_argument(
        "--sse-chunk-bytes", type=int, default=0, metavar="N", help="write SSE in N-byte pieces"
    )
    parser.add_argument(
        "--sse-chunk-delay",
        type=float,
        default=0.0002,
        metavar="SECONDS",
        help="pause between SSE pieces with --sse-chunk-bytes (default 0.0002)",
    )
    parser.add_argument(
        "--stream-delta-words",
        type=int,
        default=1,
        metavar="N",
        help="words per streamed delta (default 1; 0 = whole content in one delta)",
    )
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate chain")
    parser.add_argument("--tls-key", metavar="FILE", help="private key of --tls-cert")
    args = parser.parse_args()
    if args.sse_chunk_bytes < 0:
        parser.error("--sse-chunk-bytes must be 0 or more")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    Handler.options = Options(args)
    server = Server((args.host, args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
