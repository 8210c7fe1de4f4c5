// Drives orchestratord's OpenAI-compatible surface (api.md §9) with the
// official openai client. Run against a daemon whose pools serve ORCHD_MODEL
// (default "tiny") with one slot, a queue of capacity 1 and a slow engine, so
// that two long streams fill it:
//
//   ORCHD_URL=http://127.0.0.1:8080 [ORCHD_SIM_URL=http://127.0.0.1:8081] node --test openai.test.mjs
//
// With ORCHD_SIM_URL (a simulated engine's base URL) the abort test also
// checks that the engine request is closed within 200 ms.
//
// The Go e2e test TestOfficialOpenAIClient starts that setup and runs this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const base = process.env.ORCHD_URL;
if (!base) {
  throw new Error('ORCHD_URL is required (the orchestratord base URL)');
}
const model = process.env.ORCHD_MODEL || 'tiny';
const token = process.env.ORCHD_API_TOKEN || 'no-token';
// The simulated engine behind the pool, when the runner gives it: its
// /_sim/stats counts the requests whose client (orchestratord) closed them.
const sim = process.env.ORCHD_SIM_URL;

function client(opts = {}) {
  return new OpenAI({ apiKey: token, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000, ...opts });
}

const messages = [{ role: 'user', content: 'Say something.' }];

// taskOf returns the task id a completion id carries.
function taskOf(id) {
  return id.replace(/^(chatcmpl|cmpl)-/, '');
}

async function engineClosed() {
  const res = await fetch(`${sim}/_sim/stats`);
  assert.equal(res.status, 200);
  return (await res.json()).client_closed;
}

async function taskState(id) {
  const res = await fetch(`${base}/v2/tasks/${taskOf(id)}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return (await res.json()).state;
}

async function eventually(what, cond, ms = 5_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('models lists the pool model', async () => {
  const ids = [];
  for await (const m of client().models.list()) ids.push(m.id);
  assert.ok(ids.includes(model), `models: ${ids}`);
});

test('chat completion, not streamed', async () => {
  const c = await client().chat.completions.create({ model, messages, max_tokens: 8, user: 'node-session' });
  assert.match(c.id, /^chatcmpl-/);
  assert.equal(c.object, 'chat.completion');
  assert.equal(c.model, model);
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].message.role, 'assistant');
  assert.ok(c.choices[0].message.content.length > 0);
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.equal(c.usage.completion_tokens, 8);
  assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
  assert.equal(await taskState(c.id), 'completed');
});

test('chat completion, streamed with usage', async () => {
  const stream = await client().chat.completions.create({
    model, messages, max_tokens: 8, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let role = '';
  let finish = null;
  let usage = null;
  let id = '';
  for await (const chunk of stream) {
    id = chunk.id;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.delta.role) role = choice.delta.role;
      text += choice.delta.content ?? '';
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  assert.equal(role, 'assistant');
  assert.ok(text.length > 0);
  assert.equal(finish, 'length');
  assert.equal(usage.completion_tokens, 8);
  assert.match(id, /^chatcmpl-/);
});

test('text completion, not streamed and streamed', async () => {
  const c = await client().completions.create({ model, prompt: 'Once upon a time', max_tokens: 5 });
  assert.match(c.id, /^cmpl-/);
  assert.equal(c.object, 'text_completion');
  assert.ok(c.choices[0].text.length > 0);
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.equal(c.usage.completion_tokens, 5);

  const stream = await client().completions.create({ model, prompt: ['Once', 'upon'], max_tokens: 5, stream: true });
  let text = '';
  let finish = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.text;
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  assert.ok(text.length > 0);
  assert.equal(finish, 'length');
});

test('a full queue is a RateLimitError, and an abort cancels the task', async () => {
  const running = new AbortController();
  const queued = new AbortController();
  // One slot, a queue of one: the first stream runs, the second waits.
  const first = await client().chat.completions.create(
    { model, messages, max_tokens: 5000, stream: true }, { signal: running.signal });
  const it = first[Symbol.asyncIterator]();
  let head = await it.next(); // the role chunk: admitted
  const id = head.value.id;
  head = await it.next(); // a token: running on the engine
  assert.ok(head.value.choices[0].delta.content !== undefined);
  const second = await client().chat.completions.create(
    { model, messages, max_tokens: 5000, stream: true }, { signal: queued.signal });

  await assert.rejects(
    client().chat.completions.create({ model, messages, max_tokens: 5 }),
    (err) => {
      assert.ok(err instanceof OpenAI.RateLimitError, `got ${err}`);
      assert.equal(err.status, 429);
      assert.equal(err.code, 'ADMISSION_REJECT');
      assert.ok(Number(err.headers.get('retry-after')) >= 1);
      return true;
    },
  );

  // On abort the client ends the iteration quietly (no error), having
  // closed the connection: the daemon cancels the task at once.
  const closedBefore = sim ? await engineClosed() : 0;
  const abortedAt = Date.now();
  running.abort();
  for (let r = await it.next(); !r.done; r = await it.next());
  if (sim) {
    // The engine request is closed within 200 ms of the abort (issue 6).
    await eventually('the engine request closed', async () => (await engineClosed()) > closedBefore, 1_000);
    const took = Date.now() - abortedAt;
    assert.ok(took <= 200, `the engine request closed ${took} ms after the abort`);
  }
  await eventually('the aborted task canceled', async () => (await taskState(id)) === 'canceled');

  queued.abort();
  for await (const chunk of second) void chunk;
});
