import { Injectable } from '@nestjs/common';

export const PROJECTION_METADATA = 'chainstore:projection';

export interface ProjectionOptions {
  /**
   * Where the projection keeps its position between runs. 'none': it is rebuilt from position 0 at
   * every start (its `reset()` is called first). 'file': a checkpoint file in the store directory,
   * written atomically. A projection that implements `ProjectionCheckpointStore` itself (its read
   * model and checkpoint in one database transaction) uses its own methods whatever this says.
   * @default 'none'
   */
  checkpoint?: 'none' | 'file';
  /** How many events may pass between two checkpoint saves. @default 1000 */
  checkpointEveryEvents?: number;
}

export interface ProjectionDefinition extends Required<ProjectionOptions> {
  name: string;
}

/** Marks a provider as a projection: rebuilt from the validated chain at bootstrap, then live. */
export function Projection(name: string, options: ProjectionOptions = {}): ClassDecorator {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('@Projection needs a non-empty name');
  const definition: ProjectionDefinition = { name, checkpoint: options.checkpoint ?? 'none', checkpointEveryEvents: options.checkpointEveryEvents ?? 1000 };
  return (target) => {
    Reflect.defineMetadata(PROJECTION_METADATA, definition, target);
    Injectable()(target);
  };
}

export function projectionDefinitionOf(target: Function): ProjectionDefinition | undefined {
  return Reflect.getMetadata(PROJECTION_METADATA, target) as ProjectionDefinition | undefined;
}
