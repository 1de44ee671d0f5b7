import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A local fake of OpenAI's Responses API (`POST /v1/responses`), scripted per test: each request takes the
// next step of the script ("call tool X with args", "answer text", "fail with 500", "stall"). It answers as
// JSON, or as server-sent events when the request says `stream: true`, the way api.openai.com does, so the
// real ChatOpenAI (useResponsesApi) parses it. Every request body is kept for the test to read.

export type Step =
  | { tool: string; args: Record<string, unknown>; callId?: string }
  | { tools: { tool: string; args: Record<string, unknown>; callId?: string }[] }
  | { text: string }
  | { status: number; message?: string }
  /** Never answers (until the fake closes): the client's timeout must fire. */
  | { stall: true };

/** A step, or a function choosing one from the request (e.g. to echo what the tool returned). */
export type ScriptEntry = Step | ((request: ResponsesRequest) => Step);

export interface ResponsesRequest {
  model: string;
  stream: boolean;
  input: InputItem[];
  tools: { type: string; name: string; description?: string; parameters?: unknown }[];
  authorization: string | undefined;
  raw: Record<string, unknown>;
}

export interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  name?: string;
  arguments?: string;
  call_id?: string;
  output?: string;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1`: pass as OPENAI_BASE_URL. */
  readonly baseUrl: string;
  readonly requests: ResponsesRequest[];
  /** Adds steps to the end of the script. */
  script(...steps: ScriptEntry[]): void;
  /** Steps not yet used. */
  remaining(): number;
  close(): Promise<void>;
}

/** The text of every user and system message a request carried, in order. */
export function userTexts(request: ResponsesRequest): string[] {
  return request.input.filter((i) => i.role === 'user').map((i) => textOf(i.content));
}

/** The outputs the model was given for its function calls, by call id. */
export function toolOutputs(request: ResponsesRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of request.input) {
    if (item.type === 'function_call_output' && item.call_id) out[item.call_id] = String(item.output ?? '');
  }
  return out;
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((c) => (c && typeof c === 'object' && 'text' in c ? String((c as { text: unknown }).text) : ''))
      .join('');
  }
  return '';
}

export interface FakeOpenAIOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` are answered 401. */
  apiKey?: string;
  /** A pause between streamed text deltas, so a consumer sees the text arrive in pieces. */
  deltaPauseMs?: number;
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const script: ScriptEntry[] = [];
  const requests: ResponsesRequest[] = [];
  const stalled = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/responses') {
        return json(res, 404, {
          error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' },
        });
      }
      const authorization = req.headers.authorization;
      if (opts.apiKey && authorization !== `Bearer ${opts.apiKey}`) {
        return json(res, 401, {
          error: { message: 'Incorrect API key provided', type: 'invalid_request_error' },
        });
      }
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return json(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
      }
      const request: ResponsesRequest = {
        model: String(raw.model ?? ''),
        stream: raw.stream === true,
        input: normaliseInput(raw.input),
        tools: (raw.tools as ResponsesRequest['tools'] | undefined) ?? [],
        authorization,
        raw,
      };
      requests.push(request);
      const entry = script.shift();
      if (!entry) {
        return json(res, 500, {
          error: {
            message: `fake OpenAI: no scripted step for request ${requests.length}`,
            type: 'server_error',
          },
        });
      }
      const step = typeof entry === 'function' ? entry(request) : entry;
      if ('stall' in step) {
        stalled.add(res);
        res.on('close', () => stalled.delete(res));
        return;
      }
      if ('status' in step) {
        return json(res, step.status, {
          error: { message: step.message ?? 'scripted failure', type: 'server_error' },
        });
      }
      const response = buildResponse(request.model, step);
      if (request.stream) void streamResponse(res, response, opts.deltaPauseMs ?? 0);
      else json(res, 200, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...steps) => {
      script.push(...steps);
    },
    remaining: () => script.length,
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function normaliseInput(input: unknown): InputItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? (input as InputItem[]) : [];
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

type OutputItem =
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'completed';
    }
  | {
      type: 'message';
      id: string;
      role: 'assistant';
      status: 'completed';
      content: { type: 'output_text'; text: string; annotations: [] }[];
    };

interface ResponseBody {
  id: string;
  object: 'response';
  created_at: number;
  status: 'completed';
  model: string;
  output: OutputItem[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  [key: string]: unknown;
}

function buildResponse(
  model: string,
  step: Exclude<Step, { stall: true } | { status: number }>,
): ResponseBody {
  const calls = 'tool' in step ? [step] : 'tools' in step ? step.tools : [];
  const output: OutputItem[] =
    'text' in step
      ? [
          {
            type: 'message',
            id: `msg_${randomUUID().replaceAll('-', '')}`,
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: step.text, annotations: [] }],
          },
        ]
      : calls.map((c) => ({
          type: 'function_call',
          id: `fc_${randomUUID().replaceAll('-', '')}`,
          call_id: c.callId ?? `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
          name: c.tool,
          arguments: JSON.stringify(c.args),
          status: 'completed',
        }));
  return {
    id: `resp_${randomUUID().replaceAll('-', '')}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    text: { format: { type: 'text' } },
    usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
  };
}

/** The events api.openai.com sends for a response, text split into a few deltas. */
async function streamResponse(
  res: http.ServerResponse,
  response: ResponseBody,
  pauseMs: number,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let sequence = 0;
  const send = (event: Record<string, unknown>) => {
    res.write(
      `event: ${String(event.type)}\ndata: ${JSON.stringify({ ...event, sequence_number: sequence++ })}\n\n`,
    );
  };
  const inProgress = { ...response, status: 'in_progress', output: [] };
  send({ type: 'response.created', response: inProgress });
  send({ type: 'response.in_progress', response: inProgress });
  for (const [output_index, item] of response.output.entries()) {
    if (item.type === 'message') {
      send({
        type: 'response.output_item.added',
        output_index,
        item: { ...item, status: 'in_progress', content: [] },
      });
      const text = item.content[0]?.text ?? '';
      send({
        type: 'response.content_part.added',
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
      for (const delta of splitText(text)) {
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        send({ type: 'response.output_text.delta', item_id: item.id, output_index, content_index: 0, delta });
      }
      send({ type: 'response.output_text.done', item_id: item.id, output_index, content_index: 0, text });
      send({
        type: 'response.content_part.done',
        item_id: item.id,
        output_index,
        content_index: 0,
        part: item.content[0],
      });
      send({ type: 'response.output_item.done', output_index, item });
    } else {
      send({
        type: 'response.output_item.added',
        output_index,
        item: { ...item, arguments: '', status: 'in_progress' },
      });
      send({
        type: 'response.function_call_arguments.delta',
        item_id: item.id,
        output_index,
        delta: item.arguments,
      });
      send({
        type: 'response.function_call_arguments.done',
        item_id: item.id,
        output_index,
        arguments: item.arguments,
      });
      send({ type: 'response.output_item.done', output_index, item });
    }
  }
  send({ type: 'response.completed', response });
  res.end();
}

/** Text in about three pieces on word boundaries, so a streaming consumer sees it grow. */
function splitText(text: string): string[] {
  const words = text.split(/(?<= )/);
  const size = Math.max(1, Math.ceil(words.length / 3));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out.length ? out : [''];
}
