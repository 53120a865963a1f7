import { TidemarkError } from '../errors.js';
import { RESOURCES } from './resources.js';
import type { FieldDef, ResourceDef } from './types.js';

/** The resources that sync, looked up by name, with their components and dependency order. */
export class Registry {
  private readonly byName = new Map<string, ResourceDef>();
  private readonly fieldMaps = new Map<string, Map<string, FieldDef>>();

  constructor(resources: readonly ResourceDef[]) {
    for (const r of resources) {
      if (this.byName.has(r.name)) throw new Error(`resource ${r.name} declared twice`);
      this.byName.set(r.name, r);
      this.fieldMaps.set(r.name, new Map(r.fields.map((f) => [f.name, f])));
    }
    for (const r of resources) {
      for (const f of r.fields) {
        if (f.type === 'reference' && (!f.resource || !this.byName.has(f.resource))) {
          throw new Error(`${r.name}.${f.name} refers to unknown resource ${String(f.resource)}`);
        }
      }
      if (r.component && !this.byName.has(r.component.master)) {
        throw new Error(`${r.name} is a component of unknown resource ${r.component.master}`);
      }
    }
  }

  all(): readonly ResourceDef[] {
    return [...this.byName.values()];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The resource, or a clear error naming the unknown one. */
  get(name: string): ResourceDef {
    const r = this.byName.get(name);
    if (!r) {
      throw new TidemarkError('not_found', `unknown resource "${name}"`, { resource: name });
    }
    return r;
  }

  field(resource: string, name: string): FieldDef | undefined {
    return this.fieldMaps.get(resource)?.get(name);
  }

  /** Components joined to a master, e.g. med_hospital -> med_bed_capacity, med_hospital_status... */
  components(master: string): ResourceDef[] {
    return this.all().filter((r) => r.component?.master === master);
  }

  /** Masters: resources that are not themselves components. */
  masters(): ResourceDef[] {
    return this.all().filter((r) => !r.component);
  }

  /** Every (resource, field) that refers to `target`; used to re-point references on a merge. */
  referencesTo(target: string): { resource: string; field: string }[] {
    const out: { resource: string; field: string }[] = [];
    for (const r of this.all()) {
      for (const f of r.fields) if (f.type === 'reference' && f.resource === target) out.push({ resource: r.name, field: f.name });
    }
    return out;
  }

  /**
   * Resources ordered so that anything referred to comes before what refers to it (self
   * references such as gis_location.parent are allowed and handled within one resource).
   */
  dependencyOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string): void => {
      const s = state.get(name);
      if (s === 'done' || s === 'visiting') return;
      state.set(name, 'visiting');
      for (const f of this.get(name).fields) if (f.type === 'reference' && f.resource !== name) visit(f.resource!);
      state.set(name, 'done');
      order.push(name);
    };
    for (const name of this.names()) visit(name);
    return order;
  }
}

export const registry = new Registry(RESOURCES);
