/** `npm run publish:oci`: see lib/publish/commands.ts and docs/publishing.md. */
import { runCli } from '../../lib/publish/cli';
import { ociCommand } from '../../lib/publish/commands';

runCli(() => ociCommand(process.argv.slice(2)));
