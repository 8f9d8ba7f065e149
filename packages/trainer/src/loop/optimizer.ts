import * as tf from "@tensorflow/tfjs";

/**
 * Adam and SGD with momentum, written out so that the whole state (step count, moments) is plain tensors
 * we checkpoint and restore bit for bit. (tfjs' AdamOptimizer recomputes beta^t with pow() on restore,
 * which differs in the last bits from its running product, so a resumed run would drift.)
 */
/** slots[i] belongs to the i-th trainable variable (names differ between processes and models). */
export type TOptimizerState = { step: number; slots: Float32Array[][] };
type TStepConstants = {
  b1: number;
  b2: number;
  eps: number;
  lrT: number;
  momentum: number;
  weightDecay: number;
};

export class Optimizer {
  readonly kind: "adam" | "sgd";
  learningRate: number;
  step = 0;
  private readonly slots = new Map<tf.Variable, tf.Variable[]>();
  constructor(
    kind: "adam" | "sgd",
    learningRate: number,
    private readonly options: {
      momentum: number;
      beta1?: number;
      beta2?: number;
      epsilon?: number;
      weightDecay: number;
    },
  ) {
    this.kind = kind;
    this.learningRate = learningRate;
  }

  private slotsFor(v: tf.Variable): tf.Variable[] {
    let s = this.slots.get(v);
    if (!s) {
      const count = this.kind === "adam" ? 2 : 1;
      s = Array.from({ length: count }, () => tf.variable(tf.zerosLike(v), false));
      this.slots.set(v, s);
    }
    return s;
  }

  /** Applies gradients (keyed by variable name, as tf.variableGrads returns them) to the variables. */
  apply(variables: tf.Variable[], grads: tf.NamedTensorMap): void {
    this.step++;
    const { momentum, weightDecay } = this.options;
    const b1 = this.options.beta1 ?? 0.9;
    const b2 = this.options.beta2 ?? 0.999;
    const eps = this.options.epsilon ?? 1e-7;
    // Bias correction in float64 on the host: identical before and after a resume.
    const lrT =
      this.kind === "adam"
        ? (this.learningRate * Math.sqrt(1 - b2 ** this.step)) / (1 - b1 ** this.step)
        : this.learningRate;
    // On the native kernels one call per variable does the whole update in one pass (the same float32
    // operations in the same order as the ops below).
    const native = tf.getBackend() === "wasm" && tf.getKernel("ConcordAdam", "wasm") !== undefined;
    const b = { b1, b2, eps, lrT, momentum, weightDecay };
    tf.tidy(() => {
      for (const v of variables) {
        const g = grads[v.name];
        if (!g) continue;
        // Decoupled weight decay on kernels only (not BN or biases).
        const wd = v.shape.length > 1 ? weightDecay : 0;
        if (native) this.applyNative(v, g, { ...b, weightDecay: wd });
        else this.applyOps(v, g, { ...b, weightDecay: wd });
      }
    });
  }

  private applyNative(v: tf.Variable, g: tf.Tensor, b: TStepConstants): void {
    const s = this.slotsFor(v);
    if (this.kind === "adam") {
      const [m, vv] = s as [tf.Variable, tf.Variable];
      const attrs = { beta1: b.b1, beta2: b.b2, lrT: b.lrT, epsilon: b.eps, weightDecay: b.weightDecay };
      const [nv, nm, ns] = tf.engine().runKernel("ConcordAdam", { v, m, s: vv, g }, attrs) as tf.Tensor[];
      m.assign(nm as tf.Tensor);
      vv.assign(ns as tf.Tensor);
      v.assign(nv as tf.Tensor);
    } else {
      const [m] = s as [tf.Variable];
      const attrs = { momentum: b.momentum, lrT: b.lrT, weightDecay: b.weightDecay };
      const [nv, nm] = tf.engine().runKernel("ConcordSgd", { v, m, g }, attrs) as tf.Tensor[];
      m.assign(nm as tf.Tensor);
      v.assign(nv as tf.Tensor);
    }
  }

  private applyOps(v: tf.Variable, gIn: tf.Tensor, b: TStepConstants): void {
    const { b1, b2, eps, lrT, momentum, weightDecay } = b;
    const g = weightDecay > 0 ? tf.add(gIn, tf.mul(v, weightDecay)) : gIn;
    const s = this.slotsFor(v);
    if (this.kind === "adam") {
      const [m, vv] = s as [tf.Variable, tf.Variable];
      m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
      vv.assign(tf.add(tf.mul(vv, b2), tf.mul(tf.square(g), 1 - b2)));
      v.assign(tf.sub(v, tf.mul(tf.div(m, tf.add(tf.sqrt(vv), eps)), lrT)));
    } else {
      const [m] = s as [tf.Variable];
      m.assign(tf.add(tf.mul(m, momentum), g));
      v.assign(tf.sub(v, tf.mul(m, lrT)));
    }
  }

  async getState(variables: tf.Variable[]): Promise<TOptimizerState> {
    const slots: Float32Array[][] = [];
    for (const v of variables)
      slots.push(await Promise.all(this.slotsFor(v).map(async (s) => (await s.data()) as Float32Array)));
    return { step: this.step, slots };
  }

  setState(variables: tf.Variable[], state: TOptimizerState): void {
    this.step = state.step;
    if (state.slots.length !== variables.length) throw new Error("optimizer state does not match the model");
    variables.forEach((v, k) => {
      const s = this.slotsFor(v);
      state.slots[k]?.forEach((values, i) => {
        tf.tidy(() => s[i]?.assign(tf.tensor(values, v.shape)));
      });
    });
  }

  dispose(): void {
    for (const vars of this.slots.values()) tf.dispose(vars);
    this.slots.clear();
  }
}
