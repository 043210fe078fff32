// Drives a running `r1 serve` with the official openai npm client (and plain fetch for the SSE framing).
// Usage: node openai-client.mjs BASE_URL   (e.g. http://127.0.0.1:8080/v1); exit 0 when every check holds.
import OpenAI from 'openai';

const baseURL = process.argv[2];
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
let checks = 0;
function check(cond, what) {
  if (!cond) { console.error('FAILED: ' + what); process.exit(1); }
  checks++;
}
const messages = [{ role: 'user', content: 'What is 17*23?' }];

const models = await client.models.list();
check(models.data.length === 1 && typeof models.data[0].id === 'string', 'models.list gives the model');

const r = await client.chat.completions.create({ model: 'r1', messages, max_tokens: 16, seed: 4 });
check(r.object === 'chat.completion', 'non-streaming object');
const m = r.choices[0].message;
check(m.role === 'assistant' && typeof m.content === 'string', 'message role and content');
check(typeof m.reasoning_content === 'string', 'reasoning_content in the message');
check(m.reasoning_content.length + m.content.length > 0, 'some text');
check(['stop', 'length'].includes(r.choices[0].finish_reason), 'finish_reason');
check(r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens, 'usage adds up');

const stream = await client.chat.completions.create({ model: 'r1', messages, max_tokens: 16, seed: 4, stream: true,
  stream_options: { include_usage: true } });
let reasoning = '', content = '', usage = null, finish = null, role = null;
const ids = new Set();
for await (const chunk of stream) {
  ids.add(chunk.id);
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) {
    if (c.delta.role) role = c.delta.role;
    reasoning += c.delta.reasoning_content ?? '';
    content += c.delta.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
}
check(ids.size === 1, 'one id across chunks');
check(role === 'assistant', 'first delta carries the role');
check(finish === r.choices[0].finish_reason, 'streamed finish_reason');
check(usage && usage.completion_tokens === r.usage.completion_tokens, 'include_usage chunk');
check(reasoning === m.reasoning_content && content === m.content, 'streamed text equals the whole answer (same seed)');

const raw = await fetch(baseURL + '/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ model: 'r1', messages, max_tokens: 4, stream: true }) });
const sse = await raw.text();
check(raw.headers.get('content-type').startsWith('text/event-stream'), 'SSE content type');
check(sse.endsWith('data: [DONE]\n\n'), 'stream ends with data: [DONE]');

const comp = await client.completions.create({ model: 'r1', prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
check(comp.object === 'text_completion' && typeof comp.choices[0].text === 'string', 'completions');

try {
  await client.chat.completions.create({ model: 'r1', messages, max_tokens: -1 });
  check(false, 'max_tokens -1 refused');
} catch (e) {
  check(e instanceof OpenAI.BadRequestError && e.status === 400, 'a 400 BadRequestError: ' + e);
  check(e.error?.type === 'invalid_request_error' || e.type === 'invalid_request_error', 'error type');
  check(/max_tokens/.test(e.message), 'the message names the field');
}
try {
  await client.chat.completions.create({ model: 'r1', messages: [{ role: 'user', content: 'word '.repeat(3000) }] });
  check(false, 'a prompt longer than the context refused');
} catch (e) {
  check(e.status === 400 && /tokens and the context holds/.test(e.message), 'prompt too long: ' + e.message);
}
console.log('openai client: ' + checks + ' checks passed');
