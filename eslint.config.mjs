// ESLint flat config: typescript-eslint's strict type-checked rules over the workspace's
// TypeScript, the plain recommended rules over its CommonJS scripts. Formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      'docs/**',
      'packages/bench/results/**',
      '**/.bench-results/**',
      '**/fixtures/legacy/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program for the whole workspace (see tsconfig.eslint.json): tests, benchmarks and
        // examples are in no package's tsconfig.json, which projectService would look for.
        project: './tsconfig.eslint.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A `!` states an invariant the code keeps (a slot filled before it is read, a key known
      // to be present); checking it again at run time would add branches to the hot paths.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Actor classes are arbitrary constructors, abstract ones included, used as keys and
      // passed to decorators; `Function` is the type that says so.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // An async method without await still turns a throw into a rejected promise, which the
      // Promise-returning plugin and benchmark interfaces expect.
      '@typescript-eslint/require-await': 'off',
      // `() => clearTimeout(t)` and `(m) => handle(m)` are callbacks whose result is ignored.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Numbers and booleans print as expected in messages; objects, unknown and undefined do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // The same for `+`: `prefix + i` builds a name, as `${prefix}${i}` would.
      '@typescript-eslint/restrict-plus-operands': ['error', { allowNumberAndString: true }],
      // The code handles methods as values on purpose: decorator metadata is keyed by the function
      // (`addMethodFlags(Host.prototype.spawn, …)`), built-ins are kept to be `.call`ed later
      // (`Object.prototype.toString`, `Error.prepareStackTrace`), and nact's API is a set of functions.
      '@typescript-eslint/unbound-method': 'off',
      // `void` is the return type that proxies and type tests check for (`[R] extends [void]`,
      // `const t: void = p.tell(1)`); the code has no `T | void` unions for the rule to catch.
      '@typescript-eslint/no-invalid-void-type': 'off',
      // Passing a caught value on as it is (`catch (e) { reject(e) }`) is allowed, as `throw e` is.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `_`-prefixed parameters and variables are kept on purpose (interface shape, type tests).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'packages/testing/src/**/*.ts'],
    rules: {
      // Tests cast a caught error to its class to read its `code`; the assertion on the code
      // fails when the error is another one.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Tests define empty classes to register, decorate or reject.
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // Type tests are compiled, never run: each statement is an expression that must compile (or,
    // under @ts-expect-error, must not), so calls of unknown methods and bare expressions are the
    // point; `const t: void = p.tell(1)` checks a return type; `Equals<A, B>` is the usual
    // type-equality idiom, whose type parameters each appear once.
    files: ['**/*.types.test.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: {
      // CommonJS scripts load their modules with require().
      '@typescript-eslint/no-require-imports': 'off',
      // `const crypto = require('node:crypto')` is the usual name, though Node also has a global
      // `crypto` (Web Crypto); the module shadows it on purpose.
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
);
