#!/usr/bin/env python3
"""Fidelity of the fake provider server, refereed by the providers' official SDKs.

If the official client accepts what omega-fake-provider sends (streams, usage, errors), the
fake speaks the real wire format. Plain Python, no pytest:

    test_official_clients.py /path/to/omega-fake-provider

Starts the server on a free port, runs every check, prints one line per check and
"N passed, M failed" last; exits non-zero when anything failed. Scenarios are selected
with model names "scenario-<name>", as a client under test could not do otherwise.
"""

import json
import select
import subprocess
import sys
import time
import traceback
import urllib.request

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

KEY = "test-key"
TIMEOUT = 15.0
CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


class Server:
    """omega-fake-provider as a child process, plus its control API."""

    def __init__(self, binary):
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--key", KEY],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 10)
        line = self.process.stdout.readline().strip() if ready else ""
        prefix = "listening on "
        if not line.startswith(prefix):
            self.process.kill()
            raise RuntimeError(f"server did not start (first line: {line!r})")
        self.base = line[len(prefix):]

    def control(self, name, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/_control/{name}", data=data,
                                         method="GET" if body is None else "POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


SERVER = None


def answer():
    return SERVER.control("answer")["text"]


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_raises(error_type, function):
    try:
        function()
    except error_type as error:
        return error
    except Exception as error:  # noqa: BLE001 - report what came instead
        raise AssertionError(f"expected {error_type.__name__}, got "
                             f"{type(error).__name__}: {error}") from error
    raise AssertionError(f"expected {error_type.__name__}, nothing was raised")


# --- OpenAI ---------------------------------------------------------------------------

def openai_client(key=KEY):
    return openai.OpenAI(api_key=key, base_url=f"{SERVER.base}/v1", max_retries=0,
                         timeout=TIMEOUT)


def openai_messages():
    return [{"role": "system", "content": "You write Manim CE scripts."},
            {"role": "user", "content": "Morph a circle into a square."}]


def openai_stream_text(client, model, **extra):
    stream = client.chat.completions.create(
        model=model, messages=openai_messages(), stream=True,
        stream_options={"include_usage": True}, **extra)
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta and choice.delta.content:
                text += choice.delta.content
            if choice.finish_reason:
                finish = choice.finish_reason
    return text, usage, finish


def expect_usage(usage):
    expect(usage is not None, "no usage")
    expect(usage.prompt_tokens > 0 and usage.completion_tokens > 0, f"usage {usage}")
    expect(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens,
           f"total_tokens {usage}")


@check
def openai_complete():
    result = openai_client().chat.completions.create(model="gpt-4o",
                                                     messages=openai_messages())
    expect(result.choices[0].message.content == answer(), "text differs")
    expect(result.choices[0].finish_reason == "stop", result.choices[0].finish_reason)
    expect_usage(result.usage)


@check
def openai_stream():
    text, usage, finish = openai_stream_text(openai_client(), "gpt-4o")
    expect(text == answer(), f"text differs: {text[:80]!r}")
    expect(finish == "stop", finish)
    expect_usage(usage)


@check
def openai_stream_quirks():
    for scenario in ("split", "crlf", "empty-deltas", "slow-drip"):
        if scenario == "slow-drip":
            SERVER.control("config", {"dripDelayMs": 5})
        text, usage, _ = openai_stream_text(openai_client(), f"scenario-{scenario}")
        expect(text == answer(), f"{scenario}: text differs: {text[:80]!r}")
        expect_usage(usage)
    SERVER.control("reset", {})


@check
def openai_bad_key():
    error = expect_raises(openai.AuthenticationError,
                          lambda: openai_client("sk-wrong-key-000000").chat.completions.create(
                              model="gpt-4o", messages=openai_messages()))
    expect(error.code == "invalid_api_key", f"code {error.code}")


@check
def openai_rate_limit_and_quota():
    error = expect_raises(openai.RateLimitError, lambda: openai_client().chat.completions.create(
        model="scenario-rate-limit", messages=openai_messages()))
    expect(error.code == "rate_limit_exceeded", f"code {error.code}")
    expect(error.response.headers.get("retry-after") == "1", "no retry-after header")
    error = expect_raises(openai.RateLimitError, lambda: openai_client().chat.completions.create(
        model="scenario-quota", messages=openai_messages()))
    expect(error.code == "insufficient_quota", f"code {error.code}")
    expect("retry-after" not in error.response.headers, "quota must not invite a retry")


@check
def openai_other_errors():
    cases = [("not-found", openai.NotFoundError), ("forbidden", openai.PermissionDeniedError),
             ("server-error", openai.InternalServerError),
             ("unavailable", openai.InternalServerError),
             ("prompt-blocked", openai.BadRequestError),
             ("html-error", openai.InternalServerError)]
    for scenario, error_type in cases:
        expect_raises(error_type, lambda: openai_client().chat.completions.create(
            model=f"scenario-{scenario}", messages=openai_messages()))


@check
def openai_finish_reasons():
    client = openai_client()
    for scenario, reason in (("truncated", "length"), ("output-blocked", "content_filter")):
        result = client.chat.completions.create(model=f"scenario-{scenario}",
                                                messages=openai_messages())
        expect(result.choices[0].finish_reason == reason, f"{scenario}: "
               f"{result.choices[0].finish_reason}")
        _, _, finish = openai_stream_text(client, f"scenario-{scenario}")
        expect(finish == reason, f"{scenario} stream: {finish}")


@check
def openai_error_after_200():
    error = expect_raises(openai.APIError,
                          lambda: openai_stream_text(openai_client(), "scenario-error-after-200"))
    expect(not isinstance(error, openai.APIConnectionError), f"a connection error: {error}")
    expect("server had an error" in str(error), f"not the error chunk: {error}")


@check
def openai_invalid_json():
    expect_raises(ValueError, lambda: openai_stream_text(openai_client(), "scenario-invalid-json"))
    expect_raises(ValueError, lambda: openai_client().chat.completions.create(
        model="scenario-invalid-json", messages=openai_messages()))


@check
def openai_drop_mid_stream():
    expect_raises(openai.APIConnectionError,
                  lambda: openai_stream_text(openai_client(), "scenario-drop-mid-stream"))


@check
def openai_models():
    ids = [model.id for model in openai_client().models.list()]
    expect("gpt-4o" in ids, f"models {ids}")


@check
def openai_compatible_any_key():
    SERVER.control("config", {"expectedKey": ""})
    try:
        text, usage, _ = openai_stream_text(openai_client("ollama"), "llama3.2")
        expect(text == answer(), "text differs")
        expect_usage(usage)
    finally:
        SERVER.control("reset", {})


# --- Azure OpenAI ---------------------------------------------------------------------

def azure_client(key=KEY):
    return openai.AzureOpenAI(azure_endpoint=SERVER.base, api_key=key,
                              api_version="2024-10-21", max_retries=0, timeout=TIMEOUT)


@check
def azure_complete_and_stream():
    client = azure_client()
    result = client.chat.completions.create(model="gpt-4o", messages=openai_messages())
    expect(result.choices[0].message.content == answer(), "text differs")
    expect_usage(result.usage)
    text, usage, finish = openai_stream_text(client, "gpt-4o")
    expect(text == answer() and finish == "stop", "stream text/finish differs")
    expect_usage(usage)
    for scenario in ("empty-deltas", "split"):
        text, _, _ = openai_stream_text(client, f"scenario-{scenario}")
        expect(text == answer(), f"{scenario}: text differs")
    SERVER.control("reset", {})
    openai_stream_text(client, "gpt-4o")
    logged = SERVER.control("requests")[-1]
    expect(logged["path"] == "/openai/deployments/gpt-4o/chat/completions", logged["path"])
    expect(logged["headers"].get("api-key") == KEY, "key not in the api-key header")
    expect("api-version=2024-10-21" in logged["query"], logged["query"])


@check
def azure_v1():
    client = openai.OpenAI(api_key=KEY, base_url=f"{SERVER.base}/openai/v1", max_retries=0,
                           timeout=TIMEOUT)
    text, usage, _ = openai_stream_text(client, "gpt-4o")
    expect(text == answer(), "text differs")
    expect_usage(usage)


@check
def azure_errors():
    expect_raises(openai.AuthenticationError,
                  lambda: azure_client("wrong").chat.completions.create(
                      model="gpt-4o", messages=openai_messages()))
    error = expect_raises(openai.RateLimitError, lambda: azure_client().chat.completions.create(
        model="scenario-rate-limit", messages=openai_messages()))
    expect(error.response.headers.get("retry-after") == "1", "no Retry-After")
    expect("retry after 1 seconds" in str(error.message).lower(), error.message)
    error = expect_raises(openai.BadRequestError, lambda: azure_client().chat.completions.create(
        model="scenario-prompt-blocked", messages=openai_messages()))
    expect(error.code == "content_filter", f"code {error.code}")
    SERVER.control("config", {"knownModels": ["gpt-4o"]})
    try:
        error = expect_raises(openai.NotFoundError, lambda: azure_client().chat.completions.create(
            model="no-such-deployment", messages=openai_messages()))
        expect(error.code == "DeploymentNotFound", f"code {error.code}")
    finally:
        SERVER.control("reset", {})


# --- Anthropic ------------------------------------------------------------------------

def anthropic_client(key=KEY):
    return anthropic.Anthropic(api_key=key, base_url=SERVER.base, max_retries=0,
                               timeout=TIMEOUT)


def anthropic_create(client, model, **extra):
    return client.messages.create(model=model, max_tokens=1024, system="You write Manim.",
                                  messages=[{"role": "user", "content": "Circle to square"}],
                                  **extra)


def anthropic_stream(client, model):
    with client.messages.stream(model=model, max_tokens=1024,
                                messages=[{"role": "user", "content": "Circle to square"}]) as s:
        text = "".join(s.text_stream)
        return text, s.get_final_message()


@check
def anthropic_complete():
    message = anthropic_create(anthropic_client(), "claude-sonnet-4-5")
    expect(message.content[0].text == answer(), "text differs")
    expect(message.stop_reason == "end_turn", message.stop_reason)
    expect(message.usage.input_tokens > 0 and message.usage.output_tokens > 0,
           f"usage {message.usage}")


@check
def anthropic_streams():
    for model in ("claude-sonnet-4-5", "scenario-split", "scenario-crlf",
                  "scenario-empty-deltas"):
        text, final = anthropic_stream(anthropic_client(), model)
        expect(text == answer(), f"{model}: text differs: {text[:80]!r}")
        expect(final.stop_reason == "end_turn", f"{model}: {final.stop_reason}")
        expect(final.usage.output_tokens > 0, f"{model}: usage {final.usage}")


@check
def anthropic_stop_reasons():
    for scenario, reason in (("truncated", "max_tokens"), ("output-blocked", "refusal"),
                             ("prompt-blocked", "refusal")):
        _, final = anthropic_stream(anthropic_client(), f"scenario-{scenario}")
        expect(final.stop_reason == reason, f"{scenario}: {final.stop_reason}")
        message = anthropic_create(anthropic_client(), f"scenario-{scenario}")
        expect(message.stop_reason == reason, f"{scenario}: {message.stop_reason}")


@check
def anthropic_errors():
    expect_raises(anthropic.AuthenticationError,
                  lambda: anthropic_create(anthropic_client("wrong"), "claude-sonnet-4-5"))
    error = expect_raises(anthropic.RateLimitError,
                          lambda: anthropic_create(anthropic_client(), "scenario-rate-limit"))
    expect(error.response.headers.get("retry-after") == "1", "no retry-after")
    expect_raises(anthropic.NotFoundError,
                  lambda: anthropic_create(anthropic_client(), "scenario-not-found"))
    error = expect_raises(anthropic.APIStatusError,
                          lambda: anthropic_create(anthropic_client(), "scenario-overloaded"))
    expect(error.status_code == 529, f"status {error.status_code}")
    expect_raises(anthropic.BadRequestError,
                  lambda: anthropic_create(anthropic_client(), "scenario-quota"))


@check
def anthropic_error_after_200():
    error = expect_raises(anthropic.APIStatusError,
                          lambda: anthropic_stream(anthropic_client(), "scenario-error-after-200"))
    expect("overloaded" in str(error).lower(), f"not an overloaded error: {error}")


@check
def anthropic_models():
    ids = [model.id for model in anthropic_client().models.list()]
    expect("claude-sonnet-4-5" in ids, f"models {ids}")


# --- Google Gemini --------------------------------------------------------------------

def gemini_client(key=KEY):
    return genai.Client(api_key=key, http_options=genai_types.HttpOptions(
        base_url=f"{SERVER.base}/", api_version="v1beta", timeout=int(TIMEOUT * 1000),
        retry_options=genai_types.HttpRetryOptions(attempts=1)))


def gemini_config():
    return genai_types.GenerateContentConfig(system_instruction="You write Manim.",
                                             temperature=0.7, max_output_tokens=2048)


def gemini_stream_text(client, model):
    text, last = "", None
    for chunk in client.models.generate_content_stream(model=model, contents="Circle to square",
                                                       config=gemini_config()):
        text += chunk.text or ""
        last = chunk
    return text, last


@check
def gemini_complete():
    client = gemini_client()  # the SDK closes its HTTP client when the Client is collected
    response = client.models.generate_content(
        model="gemini-2.5-flash", contents="Circle to square", config=gemini_config())
    expect(response.text == answer(), "text differs")
    usage = response.usage_metadata
    expect(usage.prompt_token_count > 0 and usage.candidates_token_count > 0, f"usage {usage}")
    expect(str(response.candidates[0].finish_reason).endswith("STOP"),
           response.candidates[0].finish_reason)


@check
def gemini_streams():
    client = gemini_client()
    for model in ("gemini-2.5-flash", "scenario-split", "scenario-empty-deltas",
                  "scenario-crlf"):
        text, last = gemini_stream_text(client, model)
        expect(text == answer(), f"{model}: text differs: {text[:80]!r}")
        expect(last.usage_metadata.candidates_token_count > 0, f"{model}: no final usage")


@check
def gemini_key_in_header_not_url():
    SERVER.control("reset", {})
    gemini_stream_text(gemini_client(), "gemini-2.5-flash")
    logged = SERVER.control("requests")[-1]
    expect(logged["path"] == "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
           logged["path"])
    expect(logged["query"] == "alt=sse", f"query {logged['query']!r}")
    expect(logged["headers"].get("x-goog-api-key") == KEY, "key not in x-goog-api-key")
    expect(not logged["keyInQuery"], "key in the URL")


@check
def gemini_blocked_and_truncated():
    client = gemini_client()
    response = client.models.generate_content(model="scenario-prompt-blocked",
                                              contents="Circle to square")
    expect(not response.candidates, "a blocked prompt has no candidates")
    expect(str(response.prompt_feedback.block_reason).endswith("SAFETY"),
           response.prompt_feedback)
    response = client.models.generate_content(model="scenario-output-blocked",
                                              contents="Circle to square")
    expect(str(response.candidates[0].finish_reason).endswith("SAFETY"),
           response.candidates[0].finish_reason)
    _, last = gemini_stream_text(client, "scenario-truncated")
    expect(str(last.candidates[0].finish_reason).endswith("MAX_TOKENS"),
           last.candidates[0].finish_reason)


@check
def gemini_errors():
    client, wrong = gemini_client(), gemini_client("wrong")
    error = expect_raises(genai_errors.ClientError, lambda: wrong.models.generate_content(
        model="gemini-2.5-flash", contents="x"))
    expect(error.code == 400 and error.status == "INVALID_ARGUMENT", f"{error.code} {error}")
    expect("API_KEY_INVALID" in json.dumps(error.details), "no API_KEY_INVALID reason")
    error = expect_raises(genai_errors.ClientError, lambda: client.models.generate_content(
        model="scenario-rate-limit", contents="x"))
    expect(error.code == 429 and error.status == "RESOURCE_EXHAUSTED", f"{error.code}")
    expect('"retryDelay": "1s"' in json.dumps(error.details), "no RetryInfo retryDelay")
    expect(error.response.headers.get("retry-after") is None, "Gemini sends no Retry-After")
    error = expect_raises(genai_errors.ServerError, lambda: client.models.generate_content(
        model="scenario-unavailable", contents="x"))
    expect(error.code == 503, f"{error.code}")
    expect_raises(genai_errors.ClientError, lambda: client.models.generate_content(
        model="scenario-not-found", contents="x"))


@check
def gemini_error_after_200():
    client = gemini_client()
    error = expect_raises(genai_errors.ServerError,
                          lambda: gemini_stream_text(client, "scenario-error-after-200"))
    expect(error.code == 503 and error.status == "UNAVAILABLE", f"{error.code} {error.status}")


@check
def gemini_invalid_json():
    client = gemini_client()
    expect_raises(genai_errors.UnknownApiResponseError,
                  lambda: gemini_stream_text(client, "scenario-invalid-json"))


def main():
    global SERVER
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} /path/to/omega-fake-provider", file=sys.stderr)
        return 2
    print(f"openai {openai.__version__}, anthropic {anthropic.__version__}, "
          f"google-genai {genai.__version__}")
    SERVER = Server(sys.argv[1])
    passed = failed = 0
    try:
        for function in CHECKS:
            started = time.monotonic()
            try:
                SERVER.control("reset", {})
                function()
            except Exception as error:  # noqa: BLE001 - every failure is reported
                failed += 1
                print(f"FAIL {function.__name__}: {type(error).__name__}: {error}")
                traceback.print_exc(limit=3, file=sys.stdout)
            else:
                passed += 1
                print(f"ok   {function.__name__} ({time.monotonic() - started:.2f}s)")
    finally:
        SERVER.stop()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
