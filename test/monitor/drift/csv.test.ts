/** The CSV reader and the offline typing of columns: RFC 4180 quoting, and errors naming file, line and column. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, readCsv } from '../../../monitor/drift/csv.js';
import { compareTables } from '../../../monitor/drift/offline.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and newlines, CRLF, a BOM, blank lines', () => {
    const text = '\ufeffcity,note,n\r\n"Aix, en-Provence","say ""hi""",1\r\n\r\nLyon,"two\nlines",2\r\nNice,,3';
    const table = parseCsv(text, 'a.csv');
    assert.deepEqual(table.header, ['city', 'note', 'n']);
    assert.deepEqual(table.rows, [
      ['Aix, en-Provence', 'say "hi"', '1'],
      ['Lyon', 'two\nlines', '2'],
      ['Nice', '', '3'],
    ]);
    assert.deepEqual(table.lines, [2, 4, 6]);
  });

  it('keeps a trailing empty field and quoted empty fields', () => {
    assert.deepEqual(parseCsv('a,b\n1,\n"",2\n', 'a.csv').rows, [['1', ''], ['', '2']]);
  });

  const errors: [string, string, RegExp][] = [
    ['a row with too many fields', 'a,b\n1,2\n1,2,3\n', /^bad\.csv:3: 3 fields, expected 2 as in the header$/],
    ['a row with too few fields', 'a,b\n1\n', /^bad\.csv:2: 1 field, expected 2 as in the header$/],
    ['an unclosed quote', 'a,b\n1,"open\n\n', /^bad\.csv:2: column 2: quoted field is never closed$/],
    ['text after a closing quote', 'a,b\n"x"y,1\n', /^bad\.csv:2: column 1: unexpected 'y' after a closing quote$/],
    ['a duplicate column name', 'a,b,a\n', /^bad\.csv:1: columns 1 and 3 are both named 'a'$/],
    ['an empty column name', 'a,,c\n', /^bad\.csv:1: column 2 has an empty name in the header$/],
    ['an empty file', '', /^bad\.csv: empty file, expected a header row$/],
  ];
  for (const [what, text, message] of errors) {
    it(`names file, line and column for ${what}`, () => assert.throws(() => parseCsv(text, 'bad.csv'), { name: 'CsvError', message }));
  }

  it('names a file it cannot read', async () => {
    await assert.rejects(readCsv('/nonexistent/ref.csv'), /^CsvError: \/nonexistent\/ref\.csv: cannot read \(no such file\)$/);
  });
});

describe('compareTables column typing', () => {
  const reference = parseCsv('age,city\n30,Lyon\n41,Nice\n,Paris\n25,Lyon\n', 'ref.csv');

  it('types columns from the reference and skips empty cells', () => {
    const result = compareTables(reference, parseCsv('city,age\nLyon,33\nNice,\n', 'cur.csv'));
    assert.deepEqual(result.columns, [
      { name: 'age', kind: 'numeric', referenceCount: 3, currentCount: 1 },
      { name: 'city', kind: 'categorical', referenceCount: 4, currentCount: 2 },
    ]);
  });

  it('names file, line and column of a non-number under a numeric reference column', () => {
    assert.throws(
      () => compareTables(reference, parseCsv('age,city\n33,Lyon\nforty,Nice\n', 'cur.csv')),
      /^CsvError: cur\.csv:3: column 1 \('age'\): expected a number, as in the reference, got 'forty'$/,
    );
  });

  it('names a column the current file lacks, or a declared one the reference lacks', () => {
    assert.throws(() => compareTables(reference, parseCsv('age\n3\n', 'cur.csv')), /^CsvError: cur\.csv: no column 'city', which the reference has$/);
    assert.throws(
      () => compareTables(reference, parseCsv('age,city\n3,a\n', 'cur.csv'), { categorical: ['zip'] }),
      /^CsvError: ref\.csv: no column 'zip' \(declared categorical\)$/,
    );
  });

  it('refuses a column with no values', () => {
    assert.throws(() => compareTables(reference, parseCsv('age,city\n,a\n', 'cur.csv')), /^CsvError: cur\.csv: column 1 \('age'\) has no values$/);
  });

  it('reports current columns it does not compare', () => {
    assert.deepEqual(compareTables(reference, parseCsv('age,city,extra\n3,a,x\n', 'cur.csv')).ignoredColumns, ['extra']);
  });
});
