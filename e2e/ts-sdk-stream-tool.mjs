// Streams one message with a tool through the proxy with the official TypeScript SDK and prints, as one JSON line,
// the SDK's final message (assembled by its own stream parser), the event types seen and the input_json fragments.
// Run by ClaudeCodeE2EIT from .e2e/ (where node_modules lives): ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node ts-sdk-stream-tool.mjs
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({
  baseURL: process.env.ANTHROPIC_BASE_URL,
  apiKey: 'sk-ant-e2e-dummy',
  maxRetries: 0,
  timeout: 60_000,
});

const stream = client.messages.stream({
  model: process.env.E2E_MODEL ?? 'claude-sonnet-4-5',
  max_tokens: 1024,
  tools: [
    {
      name: 'get_weather',
      description: 'Current weather and a short forecast for a city.',
      input_schema: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
          days: { type: 'integer' },
          hours: { type: 'array', items: { type: 'integer' } },
          note: { type: 'string' },
        },
        required: ['city'],
      },
    },
  ],
  messages: [{ role: 'user', content: 'What is the weather in Paris for the next three days?' }],
});

const events = [];
const inputJson = [];
stream.on('streamEvent', (event) => events.push(event.type));
stream.on('inputJson', (partial) => inputJson.push(partial));

try {
  const message = await stream.finalMessage();
  process.stdout.write(JSON.stringify({ message, events, inputJson }) + '\n');
} catch (err) {
  process.stderr.write(`stream failed: ${err?.status ?? ''} ${err?.message ?? err}\n`);
  process.exit(1);
}
