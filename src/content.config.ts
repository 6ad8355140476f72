import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';

/**
 * Evergreen FAQ shipped with the deployment: content/faq/{it,en}/*.md, frontmatter `question` and
 * `order`. Entry ids keep the locale folder ("it/area-vuota"), which is how pages pick a language.
 */
const faq = defineCollection({
  loader: glob({ pattern: '{it,en}/**/*.md', base: './content/faq' }),
  schema: z.object({
    question: z.string().min(1),
    order: z.number().default(100),
  }),
});

export const collections = { faq };
