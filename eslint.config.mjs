// ESLint (flat config): typescript-eslint with type information, import cycles, and the one-way
// boundaries between the source folders. Formatting is Prettier's (`npm run lint` checks both).
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * What each folder may not import (each folder's README says the same): uspeedo/ stands alone; guard/
 * knows nothing of SMS, HTTP, GraphQL or callers; auth/ nothing of SMS, the stores or GraphQL. Inside
 * sms/, shared/ imports no feature, the features import shared/ and the feature contract (feature.ts) and nothing of each other but what the
 * send needs (the sessions it records, the template lookup its check uses) and the subscription its
 * lookup (follow/ reads through lookups/). telemetry/ knows spans, not SMS, GraphQL, HTTP or callers.
 */
const boundaries = [
  { target: './src/uspeedo', from: './src', except: ['./uspeedo'], message: 'src/uspeedo imports nothing from the rest of src.' },
  { target: './src/guard', from: './src/sms', message: 'src/guard returns plain data; src/sms maps it to results.' },
  { target: './src/guard', from: './src/http' },
  { target: './src/guard', from: './src/graphql' },
  { target: './src/guard', from: './src/auth' },
  { target: './src/auth', from: './src/sms' },
  { target: './src/auth', from: './src/guard' },
  { target: './src/auth', from: './src/graphql' },
  { target: './src/sms', from: './src/http' },
  { target: './src/sms', from: './src/app.ts' },
  { target: './src/http', from: './src/sms' },
  { target: './src/http', from: './src/graphql' },
  {
    target: './src/sms/shared',
    from: './src/sms',
    except: ['./shared'],
    message: 'src/sms/shared is what the features share: it imports none of them.',
  },
  { target: './src/sms/sessions', from: './src/sms', except: ['./sessions', './shared'], message: 'Sessions know only shared/.' },
  {
    target: './src/sms/limits',
    from: './src/sms',
    except: ['./limits', './shared', './feature.ts'],
    message: 'The limits query knows only shared/.',
  },
  {
    target: './src/sms/lookups',
    from: './src/sms',
    except: ['./lookups', './sessions', './shared', './feature.ts'],
    message: 'Lookups may use the sessions and shared/, never the send.',
  },
  {
    target: './src/sms/follow',
    from: './src/sms',
    except: ['./follow', './lookups', './shared', './feature.ts'],
    message: 'The subscription follows what the delivery-status lookup reads, and nothing else of the features.',
  },
  { target: './src/sms/lookups', from: './src/sms/follow', message: 'The lookups do not know who follows them.' },
  { target: './src/sms/send', from: './src/sms/limits', message: 'The send does not import the limits query.' },
  { target: './src/sms/send', from: './src/sms/preview', message: 'The preview builds on the send, not the other way.' },
  { target: './src/telemetry', from: './src/sms', message: 'src/telemetry knows spans, not what they are of.' },
  { target: './src/telemetry', from: './src/graphql' },
  { target: './src/telemetry', from: './src/http' },
  { target: './src/telemetry', from: './src/auth' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'coverage/',
      'examples/generated/',
      'examples/app/src/generated/',
      'examples/web/dist/',
      'bench/results/',
      'bench/mesh/',
      'node_modules/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Fastify and Apollo hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      curly: ['error', 'multi-line'],
      // A server's handler closes over the object the server is then wrapped in.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Tests read JSON answers and drive servers: `any` from a parsed body is the point there.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // node:http handlers in test servers are async; their errors end the test anyway.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // The examples have their own tsconfig (a browser page, a consumer): linted without type information.
    files: ['examples/**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
