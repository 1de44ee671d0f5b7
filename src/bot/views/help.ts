import type { KnownBlock } from '@slack/types';
import { context, header, type Message, mrkdwn } from './format.ts';

// What each slash command answers to `help` (and to input it can't read). The caller sends it ephemeral:
// help is for the person who asked, not the channel. The usage lines are data, so the command parsers in
// src/bot/listeners/commands and this text can be checked against each other in one place.

export const COMMANDS = ['/truck', '/trip', '/fleet', '/report', '/watchtower'] as const;
export type Command = (typeof COMMANDS)[number];

interface Usage {
  /** What to type, e.g. `/truck KJA-123XY`. */
  usage: string;
  /** What it does, in a few words. */
  does: string;
}

interface CommandHelp {
  summary: string;
  usages: Usage[];
}

export const HELP: Readonly<Record<Command, CommandHelp>> = {
  '/truck': {
    summary: 'Where a truck is and what it is doing.',
    usages: [
      { usage: '/truck KJA-123XY', does: 'where it is, its speed, last fix and current trip' },
      { usage: '/truck near Apapa Port', does: 'trucks inside or near a place, nearest first' },
      { usage: '/truck help', does: 'this help' },
    ],
  },
  '/trip': {
    summary: 'Plan trips and move them along; every trip has a card in the channel with buttons.',
    usages: [
      {
        usage: '/trip new',
        does: 'open the form to plan a trip (truck, origin, destination, client, cargo)',
      },
      { usage: '/trip TRP-000042', does: "show the trip's card (also `/trip 42`)" },
      { usage: '/trip list', does: 'open trips, newest first' },
      { usage: '/trip list KJA-123XY', does: "one truck's trips" },
      { usage: '/trip help', does: 'this help' },
    ],
  },
  '/fleet': {
    summary: 'The whole fleet at a glance.',
    usages: [
      { usage: '/fleet', does: 'trucks moving and offline, trucks at each terminal, open trips by status' },
      { usage: '/fleet help', does: 'this help' },
    ],
  },
  '/report': {
    summary: 'Reports for Lagos calendar days: dates as YYYY-MM-DD, `today` or `yesterday`.',
    usages: [
      {
        usage: '/report daily',
        does: "today's trips, turnaround per lane, utilization, km, alerts and trucks offline, with a chart",
      },
      { usage: '/report daily yesterday', does: 'the same for another day (or `/report daily 2025-03-10`)' },
      {
        usage: '/report tat',
        does: 'turnaround per lane over the last 7 days, e.g. Apapa Port → Ikeja Depot',
      },
      {
        usage: '/report tat 2025-03-01 2025-03-10',
        does: 'the same from one date to another (one date: that day)',
      },
      { usage: '/report utilization 2025-03-01 2025-03-10', does: 'share of time each truck was on a trip' },
      { usage: '/report help', does: 'this help' },
    ],
  },
  '/watchtower': {
    summary: 'Watch Tower keeps an eye on the fleet: where trucks are, trips, and alerts that matter.',
    usages: [
      { usage: '/truck KJA-123XY', does: 'where a truck is' },
      { usage: '/trip new', does: 'plan a trip; `/trip TRP-000042` shows one' },
      { usage: '/fleet', does: 'the whole fleet at a glance' },
      { usage: '/report daily', does: "today's report; also `tat` and `utilization`" },
      { usage: '@Watch Tower where is KJA-123XY?', does: 'or just ask in your own words' },
      { usage: '/watchtower role', does: 'your role: viewer, dispatcher or admin' },
      { usage: '/watchtower role @ada dispatcher', does: "set someone's role (admins only)" },
      { usage: '/watchtower roles', does: 'who has which role' },
    ],
  },
};

export function helpMessage(command: Command): Message {
  const help = HELP[command];
  const lines = help.usages.map((u) => `\`${u.usage}\`  ${u.does}`);
  const blocks: KnownBlock[] = [
    header(`${command} help`),
    { type: 'section', text: mrkdwn(help.summary) },
    { type: 'section', text: mrkdwn(lines.join('\n')) },
  ];
  if (command !== '/watchtower') blocks.push(context('All commands: `/watchtower help`'));
  return {
    text: `${command}: ${help.summary} Try ${help.usages.map((u) => u.usage).join(', ')}.`,
    blocks,
  };
}
