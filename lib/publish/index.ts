/** Publishing: pure checks (unit-tested) and the pipeline behind `npm run package` / `publish:oci` / `publish:check`. */
export * from './semver';
export * from './quantity';
export * from './objects';
export * from './tar';
export * from './upgrade-safety';
export * from './version-discipline';
export { PublishError } from './cli';
