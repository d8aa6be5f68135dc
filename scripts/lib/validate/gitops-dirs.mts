// The directories validate looks at, on their own so that `validate --help` can name them without loading validate.
export const GITOPS_DIRS = ['cluster', 'bootstrap', 'infrastructure', 'apps'] as const
