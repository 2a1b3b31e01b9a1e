import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InvalidOptionsError } from '../errors/invalid-options.error';
import { EventStore, RecordedEvent } from '../store';
import { FileCheckpointStore, isCheckpointStore, ProjectionCheckpointStore } from './checkpoint-store';
import { projectionHandlersOf } from './projection-handler.decorator';
import { ProjectionDefinition, projectionDefinitionOf } from './projection.decorator';
import { ProjectionRunner, ProjectionStatus } from './projection-runner';

export const PROJECTIONS_OPTIONS = Symbol('chainstore:projections-options');

export interface ProjectionsOptions {
  /** The store directory, where file checkpoints live. */
  directory: string;
  /**
   * Bootstrap completes only when every projection has caught up with the head as it was when
   * bootstrap began. @default true
   */
  waitForCatchUp?: boolean;
}

/** Finds every @Projection provider, rebuilds each at bootstrap, then keeps it live. */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Projections');
  private readonly runners = new Map<string, ProjectionRunner>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly store: EventStore,
    @Inject(PROJECTIONS_OPTIONS) private readonly options: ProjectionsOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const runner of this.discover()) this.runners.set(runner.name, runner);
    if (this.runners.size === 0) return;
    const started = Date.now();
    const caughtUp = Promise.all([...this.runners.values()].map((runner) => runner.start()));
    if (this.options.waitForCatchUp === false) {
      caughtUp.catch((error: unknown) => this.logger.error(`projections: ${(error as Error).message}`));
      return;
    }
    await caughtUp;
    const states = [...this.runners.values()].map((runner) => `${runner.name} ${runner.state} at ${runner.position}`);
    this.logger.log(`rebuilt ${this.runners.size} projection(s) in ${Date.now() - started} ms: ${states.join(', ')}`);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
  }

  /** Each projection's state, position, lag and last error. */
  status(): Promise<ProjectionStatus[]> {
    return Promise.all([...this.runners.values()].map((runner) => runner.status()));
  }

  /** Rebuilds one projection from position 0 (after its reset()) while the app runs; resolves when caught up. */
  async rebuild(name: string): Promise<void> {
    const runner = this.runners.get(name);
    if (!runner) throw new InvalidOptionsError('name', `${JSON.stringify(name)} is not a projection; known: ${[...this.runners.keys()].join(', ') || 'none'}`);
    await runner.rebuild();
  }

  private discover(): ProjectionRunner[] {
    const seen = new Set<string>();
    const runners: ProjectionRunner[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      const definition = metatype && typeof metatype === 'function' ? projectionDefinitionOf(metatype) : undefined;
      if (!definition || !instance || typeof instance !== 'object') continue;
      if (seen.has(definition.name)) throw new InvalidOptionsError('@Projection', `name ${JSON.stringify(definition.name)} is used by two providers`);
      seen.add(definition.name);
      runners.push(this.createRunner(definition, instance as object, metatype as Function));
    }
    return runners;
  }

  private createRunner(definition: ProjectionDefinition, instance: object, metatype: Function): ProjectionRunner {
    const handlers = new Map<string, Array<(event: RecordedEvent) => unknown>>();
    for (const [type, methods] of projectionHandlersOf(metatype)) {
      handlers.set(type, methods.map((method) => (instance as Record<string | symbol, (event: RecordedEvent) => unknown>)[method] as (event: RecordedEvent) => unknown));
    }
    return new ProjectionRunner(definition.name, instance, handlers, this.checkpointStoreFor(definition, instance), this.store, this.logger, definition.checkpointEveryEvents);
  }

  private checkpointStoreFor(definition: ProjectionDefinition, instance: object): ProjectionCheckpointStore | undefined {
    if (isCheckpointStore(instance)) return instance;
    return definition.checkpoint === 'file' ? new FileCheckpointStore(this.options.directory) : undefined;
  }
}
