// ESLint (flat config): typescript-eslint recommended-type-checked plus the layering rules of
// STYLE.md §2, so an import across a forbidden boundary fails the lint step.
import tseslint from 'typescript-eslint';

const layer = (files, patterns) => ({ files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'proto/generated/**', 'data/**', 'eslint.config.js', 'scripts/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  layer(['proto/**/*.ts'], [{ group: ['**/agent/**', '**/datamodel/**'], message: 'proto/ knows nothing of the agent or the data model (STYLE §2.1)' }]),
  layer(['datamodel/**/*.ts'], [{ group: ['**/agent/**', '**/proto/**'], message: 'datamodel/ never sees messages or sockets (STYLE §2.2)' }]),
  layer(['agent/mtp/**/*.ts'], [{ group: ['**/datamodel/**', '**/handlers/**', '**/proto/**'], message: 'MTPs move bytes only (STYLE §2.3)' }]),
  layer(['agent/handlers/**/*.ts'], [{ group: ['**/mtp/**'], message: 'handlers never touch MTPs (STYLE §2.4)' }]),
  layer(['agent/**/*.ts', 'datamodel/**/*.ts', 'proto/**/*.ts', 'bin/**/*.ts'], [{ group: ['**/proto/generated/*', '!**/proto/*'], message: 'import proto/index.ts, not generated code' }, { group: ['**/test/**'], message: 'source never imports test/ (STYLE §2.7)' }]),
  layer(['bin/**/*.ts'], [{ group: ['**/agent/*', '!**/agent/agent.js', '!**/agent/config.js', '**/datamodel/**', '**/proto/**'], message: 'bin/ imports only agent/agent.ts and agent/config.ts (STYLE §2.7)' }]),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // tap's t.test() returns a promise that tap itself tracks; async callbacks without await are its idiom.
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
