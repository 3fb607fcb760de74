import {
  Actor,
  ActorError,
  ASK,
  Ask,
  PARALLEL,
  Parallel,
  REF,
  Ref,
  TELL,
  Tell,
  describe as describeActor,
  getActorClassByName,
  getActorDefinition,
  isActorClass,
} from '@tsactor/core/internal';

function definitionError(klass: Function): ActorError {
  try {
    getActorDefinition(klass);
  } catch (e) {
    return e as ActorError;
  }
  throw new Error(`expected ${klass.name} to be refused`);
}

describe('decorators and actor definitions', () => {
  it('records the flags of each method', () => {
    @Actor
    class Flags {
      @Tell t(): void {}
      @Ask a(): number {
        return 1;
      }
      @Tell @Ref tr(): void {}
      @Ask @Ref @Parallel async arp(): Promise<void> {}
      @Parallel @Tell async pt(): Promise<void> {}
      helper(): void {}
    }
    const def = getActorDefinition(Flags);
    expect(def.name).toBe('Flags');
    expect(def.isActor).toBe(true);
    expect(def.klass).toBe(Flags);
    expect(def.source).toBe(__filename);
    expect({ ...def.methods }).toEqual({ t: TELL, a: ASK, tr: TELL | REF, arp: ASK | REF | PARALLEL, pt: TELL | PARALLEL });
    expect(def.plain).toEqual(['helper']);
    expect(getActorDefinition(Flags)).toBe(def);
    expect(isActorClass(Flags)).toBe(true);
    expect(getActorClassByName('Flags')).toBe(Flags);
  });

  it('describes an actor as plain data, keeping the plain-method names', () => {
    @Actor
    class Described {
      @Tell t(): void {}
      helper(): void {}
    }
    const d = describeActor(getActorDefinition(Described));
    expect(d).toEqual({ name: 'Described', methods: { t: TELL }, plain: ['helper'] });
    expect(structuredClone(d)).toEqual(d);
    @Actor
    class NoPlain {
      @Ask a(): void {}
    }
    expect(describeActor(getActorDefinition(NoPlain))).toEqual({ name: 'NoPlain', methods: { a: ASK } });
  });

  it('refuses @Ref or @Parallel without @Tell or @Ask, naming the method', () => {
    class RefOnly {
      @Ref lonely(): void {}
    }
    const e = definitionError(RefOnly);
    expect(e).toBeInstanceOf(ActorError);
    expect(e.code).toBe('BAD_DEFINITION');
    expect(e.message).toContain('RefOnly.lonely');
    expect(e.message).toMatch(/@Ref but neither @Tell nor @Ask/);
    class ParallelOnly {
      @Parallel lonely(): void {}
    }
    expect(definitionError(ParallelOnly).message).toMatch(/ParallelOnly\.lonely has @Parallel/);
  });

  it('refuses a method marked both @Tell and @Ask', () => {
    class Both {
      @Tell @Ask both(): void {}
    }
    expect(definitionError(Both).message).toMatch(/Both\.both is marked both @Tell and @Ask/);
  });

  it.each(['then', 'getId', 'getUrl', 'equals', 'withTimeout', 'toString'])('refuses an actor method named %s (a proxy name)', (name) => {
    const klass = class Reserved {};
    const fn = function (): void {};
    Object.defineProperty(klass.prototype, name, { value: fn, configurable: true, writable: true });
    Tell(fn, { kind: 'method', name });
    const e = definitionError(klass);
    expect(e.message).toContain(`Reserved.${name}`);
    expect(e.message).toContain('reserved by proxies');
  });

  it.each(['id', 'url', 'proxy', 'host'])('refuses an actor method named %s (an actor field)', (name) => {
    const klass = class Fields {};
    const fn = function (): void {};
    Object.defineProperty(klass.prototype, name, { value: fn, configurable: true, writable: true });
    Ask(fn, { kind: 'method', name });
    expect(definitionError(klass).message).toMatch(new RegExp(`Fields\\.${name}: '${name}' is the name of a field every actor gets`));
  });

  it('inherits decorated methods; a subclass may override and re-decorate them', () => {
    @Actor
    class Base {
      @Tell inherited(): void {}
      @Ask overridden(): number {
        return 1;
      }
      @Tell redecorated(): void {}
      baseHelper(): void {}
    }
    @Actor
    class Derived extends Base {
      override overridden(): number {
        return 2;
      }
      @Ask @Parallel override redecorated(): void {}
      @Ask own(): void {}
    }
    class Undecorated extends Base {}
    const def = getActorDefinition(Derived);
    expect({ ...def.methods }).toEqual({
      inherited: TELL,
      overridden: ASK, // keeps the kind of the method it overrides
      redecorated: ASK | PARALLEL, // the closest decoration wins
      own: ASK,
    });
    expect(def.plain).toEqual(['baseHelper']);
    expect(getActorDefinition(Base).methods.redecorated).toBe(TELL);
    // a subclass without @Actor has the methods but is not itself an @Actor class
    expect(isActorClass(Undecorated)).toBe(false);
    expect(getActorDefinition(Undecorated).isActor).toBe(false);
    expect({ ...getActorDefinition(Undecorated).methods }).toEqual({ inherited: TELL, overridden: ASK, redecorated: TELL });
  });

  it('refuses decorators in the wrong place with BAD_DEFINITION errors', () => {
    expect(() => Actor('not a class')).toThrow(/@Actor decorates classes/);
    expect(() => Tell(undefined, { kind: 'field', name: 'x' })).toThrow(/@Tell decorates methods, not a field \('x'\)/);
    expect(() => Ask(() => 1, { kind: 'getter', name: 'g' })).toThrow(/@Ask decorates methods, not a getter/);
    expect(() => Ref(function () {}, { kind: 'method', name: Symbol('s') })).toThrow(/@Ref needs a method with a string name/);
    // legacy (experimentalDecorators) form on something that is not a method
    expect(() => Tell({}, 'prop', undefined)).toThrow(/'prop' is not a method/);
  });

  it('works as a legacy (experimentalDecorators) decorator too', () => {
    class Legacy {
      a(): number {
        return 1;
      }
      t(): void {}
    }
    const proto = Legacy.prototype;
    Ask(proto, 'a', Object.getOwnPropertyDescriptor(proto, 'a'));
    Tell(proto, 't', Object.getOwnPropertyDescriptor(proto, 't'));
    Ref(proto, 't', Object.getOwnPropertyDescriptor(proto, 't'));
    Actor(Legacy);
    expect(isActorClass(Legacy)).toBe(true);
    expect({ ...getActorDefinition(Legacy).methods }).toEqual({ a: ASK, t: TELL | REF });
  });
});

describe('the method functions of a definition', () => {
  it("are the class's own, overrides included, and a method named __proto__ is one of them, not a prototype", () => {
    @Actor
    class Base {
      @Tell hear(): void {}
      @Ask said(): number {
        return 1;
      }
    }
    @Actor
    class Odd extends Base {
      @Tell override hear(): void {}
      @Tell ['__proto__'](): void {}
    }
    const fns = getActorDefinition(Odd).fns;
    expect(fns.hear).toBe(Odd.prototype.hear);
    expect(fns.said).toBe(Base.prototype.said);
    expect(Object.getPrototypeOf(fns)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(fns, '__proto__')?.value).toBe(
      Object.getOwnPropertyDescriptor(Odd.prototype, '__proto__')?.value,
    );
  });
});
