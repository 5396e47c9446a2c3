import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatDatasets, datasetCsv, datasetHash, parseDatasetCsv, sliceDataset, type LabeledDataset } from '../../../models/training/dataset.js';

const TEXT = 'age,income,label\n31,0.1,1\n-2.5,1e3,0\n7,12345.678,2\n';

describe('labeled dataset CSV', () => {
  it('parses header, features (float32) and labels', () => {
    const data = parseDatasetCsv(TEXT, 'train.csv');
    assert.deepEqual(data.featureNames, ['age', 'income']);
    assert.equal(data.rows, 3);
    assert.deepEqual(data.features, Float32Array.from([31, 0.1, -2.5, 1000, 7, 12345.678]));
    assert.deepEqual(data.labels, Float64Array.from([1, 0, 2]));
  });

  it('round-trips through the canonical text, which is a fixed point', () => {
    const data = parseDatasetCsv(TEXT, 'train.csv');
    const canonical = datasetCsv(data);
    assert.ok(canonical.endsWith('\n') && !canonical.includes('\r'));
    assert.equal(canonical.split('\n')[0], 'age,income,label');
    assert.deepEqual(parseDatasetCsv(canonical, 'canonical'), data);
    assert.equal(datasetCsv(parseDatasetCsv(canonical, 'canonical')), canonical);
  });

  it('hashes the data, not the spelling: CRLF, spaces, exponents and a missing final newline hash alike', () => {
    const spelled = 'age, income ,label\r\n31.0,1e-1,1\r\n-2.50,1000,0\r\n7,12345.678,2';
    assert.equal(datasetHash(parseDatasetCsv(spelled, 'a')), datasetHash(parseDatasetCsv(TEXT, 'b')));
    assert.match(datasetHash(parseDatasetCsv(TEXT, 'b')), /^[0-9a-f]{64}$/);
    assert.notEqual(datasetHash(parseDatasetCsv(TEXT.replace('31,', '32,'), 'c')), datasetHash(parseDatasetCsv(TEXT, 'b')));
  });

  it('names the file, line and column of what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['', /d\.csv: empty file/],
      ['a,b\n1,2\n', /d\.csv: line 1 column 2: last header column is "b", expected "label"/],
      ['label\n1\n', /d\.csv: line 1: no feature columns/],
      ['a,a,label\n1,2,3\n', /d\.csv: line 1 column 2: feature name "a"/],
      ['a,label\n', /d\.csv: no rows after the header/],
      ['a,b,label\n1,2,0\n1,2\n', /d\.csv: line 3: 2 columns, expected 3/],
      ['a,b,label\n1,2,0\n1,x,1\n', /d\.csv: line 3 column 2 \("b"\): "x" is not a finite number/],
      ['a,b,label\n1,,0\n', /d\.csv: line 2 column 2 \("b"\): "" is not a finite number/],
      ['a,b,label\n1,2,NaN\n', /d\.csv: line 2 column 3 \("label"\): "NaN"/],
      ['a,label\n1,0\n\n2,1\n', /d\.csv: line 3: 1 columns, expected 2/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseDatasetCsv(text, 'd.csv'), message, JSON.stringify(text));
  });

  it('concatenates datasets with the same features, and refuses others', () => {
    const a = parseDatasetCsv('x,y,label\n1,2,0\n', 'a');
    const b = parseDatasetCsv('x,y,label\n3,4,1\n5,6,0\n', 'b');
    assert.deepEqual(concatDatasets(a, b), parseDatasetCsv('x,y,label\n1,2,0\n3,4,1\n5,6,0\n', 'ab'));
    assert.throws(() => concatDatasets(a, parseDatasetCsv('y,x,label\n1,2,0\n', 'c')), /different features: \[x, y\] and \[y, x\]/);
  });

  it('slices rows like Array.prototype.slice, copying', () => {
    const data = parseDatasetCsv('x,label\n0,0\n1,1\n2,0\n3,1\n', 'd');
    const rowsOf = (d: LabeledDataset): number[] => [...d.features];
    assert.deepEqual(rowsOf(sliceDataset(data, 1, 3)), [1, 2]);
    assert.deepEqual([...sliceDataset(data, 1, 3).labels], [1, 0]);
    assert.deepEqual(rowsOf(sliceDataset(data, -2, 4)), [2, 3]);
    assert.equal(sliceDataset(data, 3, 1).rows, 0);
    assert.equal(sliceDataset(data, 0, 99).rows, 4);
    const copy = sliceDataset(data, 0, 1);
    copy.features[0] = 42;
    assert.equal(data.features[0], 0);
  });

  it('refuses to write a dataset whose arrays do not match its shape, or a name CSV cannot hold', () => {
    assert.throws(() => datasetCsv({ featureNames: ['a', 'b'], rows: 2, features: new Float32Array(3), labels: new Float64Array(2) }), /features hold 3 values, expected 2 rows x 2 features = 4/);
    assert.throws(() => datasetCsv({ featureNames: ['a,b'], rows: 1, features: new Float32Array(1), labels: new Float64Array(1) }), /feature name "a,b" cannot be written/);
  });
});
