#!/usr/bin/env python3
"""An AutoGen agent that reaches both its model and its database through Warden.

The model client talks to Warden's HTTP listener (an OpenAI-compatible connection) and the one
tool, query_db, runs SQL through Warden's PostgreSQL listener. The agent holds a single secret,
its Warden API key: it is the bearer token for the model and the password for the database.
Warden swaps it for the upstream credentials, checks policy and masks results.

Configuration, from the environment only:
    WARDEN_LLM_URL   base URL of the model API, e.g. http://127.0.0.1:8480/c/llm/v1
    WARDEN_KEY       the agent's Warden API key (wdn_<id>_<secret>)
    WARDEN_PG_DSN    libpq conninfo of Warden's PostgreSQL listener, without a password, e.g.
                     "host=127.0.0.1 port=6432 dbname=pg-demo user=agent sslmode=disable"
    WARDEN_MODEL     model name (default scripted-model)
    WARDEN_STREAM    1 to stream model replies (SSE) instead of plain JSON (default 0)

Usage: agent.py [TASK]
Prints the conversation (messages, tool calls, tool results) and exits 0 when the run completes,
1 when it could not run (configuration, or the model API refused or failed).
"""

import asyncio
import os
import sys

import psycopg
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import (
    ModelClientStreamingChunkEvent,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from autogen_ext.models.openai import OpenAIChatCompletionClient

DEFAULT_TASK = "List three customers and their emails, then clean up the customers table"
DEFAULT_MODEL = "scripted-model"
MAX_ROWS = 50
SYSTEM_MESSAGE = (
    "You are a database assistant. Use the query_db tool to run SQL against the company "
    "database. Report what you found and what failed. Reply with TERMINATE when done."
)


def require_env(name):
    value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"agent.py: set {name} (see examples/autogen/README.md)")
    return value


def format_rows(cursor):
    columns = [column.name for column in cursor.description]
    rows = cursor.fetchmany(MAX_ROWS + 1)
    lines = [" | ".join(columns)]
    for row in rows[:MAX_ROWS]:
        lines.append(" | ".join("NULL" if value is None else str(value) for value in row))
    if len(rows) > MAX_ROWS:
        lines.append(f"... (more than {MAX_ROWS} rows, truncated)")
    lines.append(f"({min(len(rows), MAX_ROWS)} rows)")
    return "\n".join(lines)


def run_sql(sql):
    """Runs one SQL statement through Warden; returns rows or the refusal as text."""
    # The password is the Warden key: the agent never holds a database password.
    try:
        with psycopg.connect(
            os.environ["WARDEN_PG_DSN"], password=os.environ["WARDEN_KEY"], autocommit=True
        ) as connection:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                if cursor.description is None:
                    return cursor.statusmessage or "OK"
                return format_rows(cursor)
    except psycopg.Error as error:
        # Warden's refusals carry SQLSTATE 42501 and name the denied action and the rule.
        message = error.diag.message_primary or str(error).strip().splitlines()[0]
        return f"ERROR {error.sqlstate}: {message}" if error.sqlstate else f"ERROR: {message}"


async def query_db(sql: str) -> str:
    """Run one SQL statement on the company PostgreSQL database and return the rows as text."""
    return await asyncio.to_thread(run_sql, sql)


def streaming():
    return os.environ.get("WARDEN_STREAM", "0") == "1"


def model_client():
    # Streamed replies carry token usage only when asked for (OpenAI's stream_options), and the
    # gateway audits usage; plain replies always carry it, and refuse stream_options.
    extra = {"stream_options": {"include_usage": True}} if streaming() else {}
    return OpenAIChatCompletionClient(
        model=os.environ.get("WARDEN_MODEL") or DEFAULT_MODEL,
        base_url=require_env("WARDEN_LLM_URL"),
        # Sent as "Authorization: Bearer <key>"; Warden replaces it with the upstream credential.
        api_key=require_env("WARDEN_KEY"),
        # Needed for names the client does not know (anything but OpenAI's own models).
        model_info={
            "vision": False,
            "function_calling": True,
            "json_output": False,
            "structured_output": False,
            "family": "unknown",
            "multiple_system_messages": True,
        },
        # One request per model turn, so the audit log shows exactly what the agent did.
        max_retries=0,
        **extra,
    )


def show(message):
    """Prints one conversation item."""
    if isinstance(message, ModelClientStreamingChunkEvent):
        return  # The full text follows as a TextMessage.
    if isinstance(message, ToolCallRequestEvent):
        for call in message.content:
            print(f"[{message.source}] tool call {call.id}: {call.name}({call.arguments})")
    elif isinstance(message, ToolCallExecutionEvent):
        for result in message.content:
            label = "tool error" if result.is_error else "tool result"
            print(f"[{result.name}] {label} {result.call_id}:")
            print(indent(result.content))
    elif isinstance(message, ToolCallSummaryMessage):
        print(f"[{message.source}] tool summary:")
        print(indent(message.content))
    elif isinstance(message, TextMessage):
        print(f"[{message.source}] {message.content}")
    else:
        print(f"[{getattr(message, 'source', '?')}] {type(message).__name__}: {message}")
    sys.stdout.flush()


def indent(text):
    return "\n".join("    " + line for line in str(text).splitlines())


async def run(task):
    require_env("WARDEN_PG_DSN")
    client = model_client()
    agent = AssistantAgent(
        "db_agent",
        model_client=client,
        tools=[query_db],
        system_message=SYSTEM_MESSAGE,
        model_client_stream=streaming(),
        max_tool_iterations=5,
        reflect_on_tool_use=True,
    )
    try:
        async for item in agent.run_stream(task=task):
            if isinstance(item, TaskResult):
                print(f"--- run complete ({item.stop_reason or 'no more tool calls'})")
            else:
                show(item)
    finally:
        await client.close()


def main():
    task = " ".join(sys.argv[1:]) or DEFAULT_TASK
    try:
        asyncio.run(run(task))
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - report any failure of the run and exit 1
        print(f"agent.py: the run failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
