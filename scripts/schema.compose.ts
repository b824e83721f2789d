import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { buildFederatedSchema } from '../subgraphs/_shared/build-subgraph.js';
import type { SubgraphModule } from '../subgraphs/_shared/subgraph-module.js';

export interface ComposedSchemas {
  subgraphs: Array<{ name: string; sdl: string }>;
  supergraph: string;
}

/** Emits each subgraph's SDL from the code and composes the supergraph with the default local URLs. */
export async function composeSupergraph(modules: SubgraphModule[], host = '127.0.0.1'): Promise<ComposedSchemas> {
  const subgraphs = [];
  for (const m of modules) subgraphs.push({ name: m.name, sdl: (await buildFederatedSchema(m.definition)).sdl, port: m.defaultPort });
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, typeDefs: parse(s.sdl), url: `http://${host}:${s.port}/graphql` })));
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  return { subgraphs: subgraphs.map(({ name, sdl }) => ({ name, sdl })), supergraph: result.supergraphSdl };
}
