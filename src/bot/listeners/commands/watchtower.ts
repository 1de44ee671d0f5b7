import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { ROLE_ORDER } from '../../../fleet/actor.ts';
import { listRoles, setSlackUserRole } from '../../../fleet/roles.ts';
import { answerCommand, ephemeral, inChannel, sentence } from '../../command-reply.ts';
import type { BotDeps } from '../../deps.ts';
import { helpMessage } from '../../views/help.ts';

// `/watchtower`: help for everything, and roles. `role @user dispatcher` is for admins; the change is said in
// the channel so the team sees who may now move trips. Slack sends a picked user as `<@U0123|ada>`.

const ROLE_WORDS = ROLE_ORDER.join(', ');
const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
const USAGE = 'Try `/watchtower role @ada dispatcher` (pick the person from the list Slack shows after @).';

export const watchtowerCommand =
  (deps: BotDeps) =>
  async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    const verb = words[0]?.toLowerCase();
    await answerCommand(deps, command, respond, async (actor) => {
      if (!verb || verb === 'help') return ephemeral(helpMessage('/watchtower'));
      if (verb === 'roles') {
        const rows = (await listRoles(deps.sql, actor)).filter((r) => r.principal.startsWith('slack:'));
        if (rows.length === 0) return ephemeral(sentence('Nobody has a role yet: everyone is a viewer.'));
        const lines = rows.map((r) => `<@${r.principal.slice('slack:'.length)}>: ${r.role}`);
        return ephemeral(sentence(`Roles (everyone else is a viewer):\n${lines.join('\n')}`));
      }
      if (verb !== 'role') {
        return ephemeral(sentence(`I don't know \`/watchtower ${verb}\`. ${USAGE} Or \`/watchtower help\`.`));
      }
      if (words.length === 1) return ephemeral(sentence(`You are a ${actor.role}.`));
      const user = MENTION.exec(words[1]!)?.[1];
      if (!user) return ephemeral(sentence(`"${words[1]}" is not a person I can read. ${USAGE}`));
      const role = words[2]?.toLowerCase();
      if (!role) {
        const found = (await listRoles(deps.sql, actor)).find((r) => r.principal === `slack:${user}`);
        return ephemeral(sentence(`<@${user}> is a ${found?.role ?? 'viewer'}.`));
      }
      if (!(ROLE_ORDER as readonly string[]).includes(role) || words.length > 3) {
        return ephemeral(sentence(`A role is one of ${ROLE_WORDS}. ${USAGE}`));
      }
      const set = await setSlackUserRole(deps.sql, actor, user, { role });
      return inChannel(sentence(`<@${command.user_id}> made <@${user}> a ${set.role}.`));
    });
  };
