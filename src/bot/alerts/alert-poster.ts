import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import type { Kv } from '../../bus/kv.ts';
import type { Logger } from '../../log.ts';
import { correlationAttributes, withSpan } from '../../telemetry.ts';
import { alertDigest, alertMessage } from '../views/alert.ts';
import type { Message } from '../views/format.ts';
import type { Delivery } from './alert-events.ts';

// Posts alerts so that a channel is never flooded and nothing is posted twice:
//
// - at most one message per channel per `minIntervalMs` (1 s), across every replica: a channel's slot is a
//   Redis key set-if-absent with that TTL; what arrives together for one channel (a convoy entering the
//   port) goes out as one digest;
// - an alert posted is remembered by (event id, channel) for a week, so a batch redelivered after a crash or
//   a failed post skips what already went out and posts only the rest;
// - Slack's 429 is honoured by the Web API client itself (it waits Retry-After, then retries the same call);
//   any other failure throws, so the events stay unacknowledged and come back.

export interface ChatPoster {
  chat: {
    postMessage(args: {
      channel: string;
      thread_ts?: string;
      text: string;
      blocks?: Message['blocks'];
      unfurl_links?: boolean;
    }): Promise<unknown>;
  };
}

export interface AlertPosterOptions {
  client: ChatPoster;
  kv: Kv;
  logger: Logger;
  /** Who holds a channel's slot (for the logs; any replica may post). */
  owner: string;
  now?: () => Date;
  minIntervalMs?: number;
  /** How long a posted alert is remembered against redelivery. */
  rememberMs?: number;
}

const SENT_PREFIX = 'alerts:sent:';
const SLOT_PREFIX = 'alerts:slot:';

export class AlertPoster {
  private readonly minIntervalMs: number;
  private readonly rememberMs: number;
  private readonly now: () => Date;

  constructor(private readonly o: AlertPosterOptions) {
    this.minIntervalMs = o.minIntervalMs ?? 1_000;
    this.rememberMs = o.rememberMs ?? 7 * 24 * 3600_000;
    this.now = o.now ?? (() => new Date());
  }

  /** Posts what has not been posted yet; resolves once Slack accepted every message. */
  async deliver(deliveries: readonly Delivery[]): Promise<void> {
    const unique = new Map<string, Delivery>();
    for (const d of deliveries) unique.set(`${d.eventId}:${d.channel}`, d);
    if (unique.size === 0) return;
    const keys = [...unique.keys()];
    const sent = await this.o.kv.mget(keys.map((k) => SENT_PREFIX + k));
    const pending = keys.flatMap((k, i) => (sent[i] ? [] : [unique.get(k)!]));

    // Per channel in order (one slot each), channels side by side.
    const byChannel = new Map<string, Delivery[]>();
    for (const d of pending) byChannel.set(d.channel, [...(byChannel.get(d.channel) ?? []), d]);
    await Promise.all([...byChannel].map(([channel, list]) => this.postToChannel(channel, list)));
  }

  private async postToChannel(channel: string, deliveries: Delivery[]): Promise<void> {
    const byThread = new Map<string, Delivery[]>();
    for (const d of deliveries) {
      const key = d.threadTs ?? '';
      byThread.set(key, [...(byThread.get(key) ?? []), d]);
    }
    for (const [threadTs, group] of byThread) {
      const message =
        group.length === 1
          ? alertMessage(group[0]!.alert, { now: this.now() })
          : alertDigest(
              group.map((d) => d.alert),
              { channel, now: this.now() },
            );
      await this.takeSlot(channel);
      // The end of a trace that began at the webhook: the span carries the alerts' correlation ids.
      await withSpan(
        'slack chat.postMessage',
        {
          kind: SpanKind.CLIENT,
          attributes: { 'watchtower.slack.channel': channel, 'watchtower.alerts': group.length },
        },
        async (span) => {
          if (span.isRecording())
            span.setAttributes(correlationAttributes(group.map((d) => d.correlationId)));
          await this.o.client.chat.postMessage({
            channel,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            text: message.text,
            blocks: message.blocks,
            unfurl_links: false,
          });
        },
      );
      await Promise.all(
        group.map((d) => this.o.kv.set(`${SENT_PREFIX}${d.eventId}:${channel}`, '1', this.rememberMs)),
      );
      this.o.logger.debug(
        { channel, alerts: group.length },
        group.length === 1 ? 'alert posted' : 'digest posted',
      );
    }
  }

  /** Waits until this channel may hear another message (at most one per interval, across replicas). */
  private async takeSlot(channel: string): Promise<void> {
    while (!(await this.o.kv.setIfAbsent(SLOT_PREFIX + channel, this.o.owner, this.minIntervalMs))) {
      await sleep(Math.min(100, this.minIntervalMs));
    }
  }
}
