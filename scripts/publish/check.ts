/** `npm run publish:check`: see lib/publish/commands.ts and docs/publishing.md. */
import { runCli } from '../../lib/publish/cli';
import { checkCommand } from '../../lib/publish/commands';

runCli(() => checkCommand(process.argv.slice(2)));
