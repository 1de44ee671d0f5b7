import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentPredictor } from '../../src/agent/predict.ts';
import { type FakeOpenAI, startFakeOpenAI, userTexts } from '../support/fake-openai.ts';

const KEY = 'sk-test-predict';
let openai: FakeOpenAI;

beforeEach(async () => {
  openai = await startFakeOpenAI({ apiKey: KEY });
});

afterEach(async () => {
  await openai.close();
});

const config = () => ({ openai: { apiKey: KEY, baseUrl: openai.baseUrl, model: 'gpt-test' } });

describe('agentPredictor', () => {
  it('reports the first tool call the model makes, with its arguments, asking once', async () => {
    openai.script({
      tools: [
        { tool: 'create_trip', args: { truck: 'KJA-123XY', origin: 'Apapa', destination: 'Ibese' } },
        { tool: 'get_truck_location', args: { truck: 'KJA-123XY' } },
      ],
    });

    const predict = agentPredictor(config(), { now: () => new Date('2025-03-04T13:05:00Z') });
    const prediction = await predict('book KJA-123XY Apapa to Ibese tomorrow 6am');

    expect(prediction).toEqual({
      tool: 'create_trip',
      args: { truck: 'KJA-123XY', origin: 'Apapa', destination: 'Ibese' },
    });
    expect(openai.requests).toHaveLength(1);
    expect(userTexts(openai.requests[0]!)).toEqual([
      '[Now in Lagos: Tuesday 2025-03-04 14:05]\nbook KJA-123XY Apapa to Ibese tomorrow 6am',
    ]);
    expect(openai.requests[0]?.tools.map((t) => t.name)).toContain('cancel_trip');
  });

  it('reports no tool when the model answers in words', async () => {
    openai.script({ text: 'Which truck do you mean?' });

    expect(await agentPredictor(config())('where is the truck?')).toEqual({ tool: null, args: {} });
  });
});
