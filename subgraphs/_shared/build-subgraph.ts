import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type AuthCheckerFn, type NonEmptyArray } from 'type-graphql';
import type { SubgraphContext } from './context.js';
import { requireViewer } from './context.js';
import type { Role } from './auth.js';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@interfaceObject"])';

type ReferenceResolver = (ref: { id: string }, ctx: SubgraphContext<any, any>) => unknown;

/** What a subgraph contributes to the graph: its resolver classes and how its entities are resolved by key. */
export interface SubgraphDefinition {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
  /** `__resolveReference` per entity type; each must go through a per-request DataLoader. */
  references: Record<string, ReferenceResolver>;
}

export interface BuiltSubgraph {
  name: string;
  schema: GraphQLSchema;
  /** The subgraph SDL with federation directives, as committed under schema/. */
  sdl: string;
}

/**
 * type-graphql insists on a global pubSub as soon as any @Subscription exists, even when every subscription
 * brings its own `subscribe`. Ours do (the subgraph's PubSub comes through the context, since several subgraphs
 * share one process when embedded), so the global one only has to refuse loudly if something ever uses it.
 */
const refuse = (): never => {
  throw new Error('no global pubSub: declare subscriptions with @Subscription({ subscribe }) and the subgraph PubSub');
};
const NO_GLOBAL_PUBSUB = { publish: refuse, subscribe: refuse };

/** `@Authorized(roles)` on a field: UNAUTHENTICATED without a viewer, FORBIDDEN without one of the roles. */
const authChecker: AuthCheckerFn<SubgraphContext> = ({ context }, roles) => {
  requireViewer(context, ...(roles as Role[]));
  return true;
};

/**
 * type-graphql classes → federation 2 subgraph schema. Follows type-graphql's own apollo-federation-2 example:
 * print with directives, prefix the @link, rebuild with @apollo/subgraph and add __resolveReference.
 */
export async function buildFederatedSchema(def: SubgraphDefinition): Promise<BuiltSubgraph> {
  const tgSchema = await buildSchema({
    resolvers: def.resolvers,
    orphanedTypes: def.orphanedTypes,
    skipCheck: true,
    validate: { forbidUnknownValues: false },
    authChecker,
    authMode: 'error',
    pubSub: NO_GLOBAL_PUBSUB,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(tgSchema)}\n`;
  const resolvers = createResolversMap(tgSchema) as Record<string, Record<string, unknown>>;
  for (const [type, resolve] of Object.entries(def.references)) {
    resolvers[type] = { ...(resolvers[type] ?? {}), __resolveReference: resolve };
  }
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: resolvers as never }]);
  return { name: def.name, schema, sdl };
}
