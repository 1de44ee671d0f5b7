// Conversation threads the agent remembers: a Slack thread is `team:channel:thread_ts`; an API conversation
// is `api:<client>:<id>`, so one client can never read or continue another's thread.

export const slackThreadId = (team: string, channel: string, threadTs: string) =>
  `${team}:${channel}:${threadTs}`;

export const apiThreadId = (principal: string, id: string) => `api:${principal.replace(/^api:/, '')}:${id}`;
