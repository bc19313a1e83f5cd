// An example Tideway plugin: a middleware type "add-header" that adds one response header, taken from
// its configuration. Load it with `--plugin examples/plugins/add-header.ts` and use it from a Middleware:
//
//   apiVersion: tideway.dev/v1alpha1
//   kind: Middleware
//   metadata: { name: powered-by, namespace: shop }
//   spec:
//     plugin:
//       name: add-header
//       config: { name: X-Powered-By, value: tideway }
//
// A plugin imports nothing from Tideway at run time: what it needs comes in through `api`. (The type
// import below is erased when Node strips the types.)
import type { PluginApi } from '../../src/middleware/index.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export default function addHeaderPlugin(api: PluginApi): void {
  api.register({
    type: 'add-header',
    create(config) {
      const { name, value, ...rest } = config;
      // Throwing MiddlewareConfigError names the field; the route then fails closed (500) and the error is logged.
      if (typeof name !== 'string' || !TOKEN.test(name)) throw new api.MiddlewareConfigError('name', 'must be a header name');
      if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new api.MiddlewareConfigError('value', 'must be a string without line breaks');
      const unknown = Object.keys(rest)[0];
      if (unknown !== undefined) throw new api.MiddlewareConfigError(unknown, 'unknown field');
      return async (ctx, next) => {
        await next();
        ctx.response?.headers.set(name, value);
      };
    },
  });
}
