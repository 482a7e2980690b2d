/** Script generation: template packs (the default: instant, deterministic) and an LLM with self-repair. */
export { canonicalJson, promptCacheKey, templateCacheKey, type GenerationCache } from './cache.js';
export {
  generateFromTemplate,
  GenerateFromTemplateOptsSchema,
  GenerationCacheSchema,
  TemplateGenerationSchema,
  type GenerateFromTemplateOpts,
  type TemplateGeneration,
} from './from-template.js';
export { jsLiteral, LITERAL_FILTERS, pyLiteral, shLiteral, type LiteralFilter } from './literals.js';
export { TemplateMetaSchema, type TemplateMeta } from './pack-loader.js';
export { exampleCommand, paramText, parseParamArgs } from './param-args.js';
export { PARAM_TYPES, parseParamText, ParamSpecSchema, type ParamSpec, type ParamType } from './params.js';
export {
  BUILTIN_TEMPLATES_DIR,
  createTemplateRegistry,
  RenderedTemplateSchema,
  TemplateDetailsSchema,
  TemplateInfoSchema,
  TemplateRegistry,
  TemplateRegistryOptsSchema,
  type RenderedTemplate,
  type TemplateDetails,
  type TemplateInfo,
  type TemplateRegistryOpts,
} from './registry.js';
export { suggestTemplates } from './suggest.js';
export {
  CheckOutcomeSchema,
  DEFAULT_MAX_ATTEMPTS,
  generateFromPrompt,
  GenerateFromPromptOptsSchema,
  GenerationAttemptSchema,
  noProviderError,
  PromptGenerationSchema,
  type CheckHook,
  type CheckOutcome,
  type GenerateFromPromptOpts,
  type GenerationAttempt,
  type PromptGeneration,
} from './llm/generate.js';
export { extractCode } from './llm/prompt.js';
export {
  createLlmProvider,
  DEFAULT_LLM_TIMEOUT_MS,
  llmProviderFromEnv,
  LlmProviderError,
  LlmProviderOptsSchema,
  missingLlmSettings,
  type ChatCompletionOpts,
  type ChatMessage,
  type ChatReply,
  type LlmProvider,
  type LlmProviderOpts,
} from './llm/provider.js';
