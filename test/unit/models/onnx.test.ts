import { expect } from 'chai';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { anomalyGraph, categoriserGraph, IO_NAMES, mlpFromInitializers } from '../../../models/onnx/graphs.js';
import { decodeModel, encodeModel, IR_VERSION, OPSET } from '../../../models/onnx/model-file.js';
import { mlpForward, softmaxForward } from '../../../models/training/forward.js';
import type { MlpModel } from '../../../models/training/mlp.js';
import type { SoftmaxModel } from '../../../models/training/softmax-regression.js';
import { Random } from '../../../models/synthetic/random.js';

function randomFloats(random: Random, length: number): Float32Array {
  return Float32Array.from({ length }, () => random.normal());
}

describe('Function: encodeModel', () => {
  const random = new Random(99);
  const softmax: SoftmaxModel = { width: 6, classes: 3, weights: randomFloats(random, 18), bias: randomFloats(random, 3) };
  const mlp: MlpModel = {
    inputs: 4,
    hidden: 5,
    mean: randomFloats(random, 4),
    invStd: Float32Array.from([1, 0.5, 2, 1.5]),
    w1: randomFloats(random, 20),
    b1: randomFloats(random, 5),
    w2: randomFloats(random, 5),
    b2: randomFloats(random, 1),
  };

  it('writes a model onnxruntime runs at any batch size, equal to the TypeScript forward pass', async () => {
    // Prepare
    const bytes = encodeModel(categoriserGraph(softmax, 3, { model_name: 'test' }));
    const session = await InferenceSession.create(bytes);
    const x = randomFloats(random, 7 * softmax.width);

    // Act
    const output = await session.run({ [IO_NAMES.categoriser.input]: new Tensor('float32', x, [7, softmax.width]) });
    await session.release();

    // Assess
    const probabilities = output[IO_NAMES.categoriser.output];
    expect(probabilities?.dims).to.deep.equal([7, softmax.classes]);
    const expected = softmaxForward(softmax, x, 7);
    Array.from(probabilities?.data as Float32Array).forEach((p, i) => expect(p).to.be.closeTo(expected[i] as number, 1e-6));
  });

  it('reads back its opset, names, metadata and weights', () => {
    // Prepare
    const metadata = { model_name: 'anomaly', feature_schema_hash: 'abc', threshold: '0.5' };

    // Act
    const decoded = decodeModel(encodeModel(anomalyGraph(mlp, 2, metadata)));

    // Assess
    expect(decoded.opset).to.equal(OPSET);
    expect(decoded.irVersion).to.equal(IR_VERSION);
    expect(decoded.modelVersion).to.equal(2);
    expect(decoded.inputs).to.deep.equal([IO_NAMES.anomaly.input]);
    expect(decoded.outputs).to.deep.equal([IO_NAMES.anomaly.output]);
    expect(decoded.opTypes).to.deep.equal(['Sub', 'Mul', 'Gemm', 'Relu', 'Gemm', 'Sigmoid']);
    expect(decoded.metadata).to.deep.equal(metadata);
    expect(mlpFromInitializers(decoded.initializers)).to.deep.equal(mlp);
  });

  it('scores the anomaly graph as the TypeScript forward pass does', async () => {
    // Prepare
    const session = await InferenceSession.create(encodeModel(anomalyGraph(mlp, 1, {})), { intraOpNumThreads: 1 });
    const x = randomFloats(random, 9 * mlp.inputs);

    // Act
    const output = await session.run({ [IO_NAMES.anomaly.input]: new Tensor('float32', x, [9, mlp.inputs]) });
    await session.release();

    // Assess
    const expected = mlpForward(mlp, x, 9);
    expect(output[IO_NAMES.anomaly.output]?.dims).to.deep.equal([9, 1]);
    Array.from(output[IO_NAMES.anomaly.output]?.data as Float32Array).forEach((p, i) => expect(p).to.be.closeTo(expected[i] as number, 1e-6));
  });

  it('gives the same bytes for the same model and refuses weights that do not fit their dims', () => {
    // Prepare
    const spec = categoriserGraph(softmax, 1, { b: '2', a: '1' });

    // Act
    const first = encodeModel(spec);
    const second = encodeModel({ ...spec, metadata: { a: '1', b: '2' } });
    const broken = () => encodeModel({ ...spec, initializers: [{ name: 'weights', dims: [2, 2], data: new Float32Array(3) }] });

    // Assess
    expect(Buffer.from(first).equals(Buffer.from(second))).to.equal(true);
    expect(broken).to.throw(RangeError, /weights/);
  });
});
