/** `npm run publish:check`: see lib/publish/commands.ts and docs/publishing.md. */
import { projectVersionSources } from '../../lib/cli/project';
import { runCli } from '../../lib/publish/cli';
import { checkCommand } from '../../lib/publish/commands';

// Messages name the defineChart that sets each version (charts/ is generated from lib/systems).
runCli(() => checkCommand(process.argv.slice(2), { versionSources: projectVersionSources() }));
