/** `npm run package`: see lib/publish/commands.ts and docs/publishing.md. */
import { runCli } from '../../lib/publish/cli';
import { packageCommand } from '../../lib/publish/commands';

runCli(() => packageCommand(process.argv.slice(2)));
