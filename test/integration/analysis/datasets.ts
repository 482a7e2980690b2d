/**
 * Real-looking tables for the script-equals-direct-engine tests, built from a seeded PRNG so every run
 * sees the same data: numbers with ties (rounded values, small integers), categories, missing cells, a
 * boolean column, and a perfectly collinear pair.
 */
import type { Column, Table } from '../../../src/workflows/analysis/table.js';

/** mulberry32: a small deterministic PRNG. */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Approximately normal noise (sum of uniforms). */
function noise(next: () => number): number {
  return next() + next() + next() + next() - 2;
}

const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;

function numeric(name: string, values: (number | null)[], type: 'integer' | 'number' = 'number'): Column {
  return { name, type, values, missing: values.filter((value) => value === null).length };
}

function text(name: string, values: (string | null)[]): Column {
  return { name, type: 'text', values, missing: values.filter((value) => value === null).length };
}

/** Flats for sale: price depends on area, rooms and district; a few prices and years are missing. */
export function housing(rows = 120): Table {
  const next = random(7_001);
  const districts = ['north', 'south', 'centre', 'riverside'];
  const area: number[] = [];
  const rooms: number[] = [];
  const district: string[] = [];
  const price: (number | null)[] = [];
  const year: (number | null)[] = [];
  const balcony: (boolean | null)[] = [];
  for (let i = 0; i < rows; i += 1) {
    const a = round(35 + next() * 90, 1);
    const r = Math.max(1, Math.min(5, Math.round(a / 25 + noise(next))));
    const d = districts[Math.floor(next() * districts.length)] ?? 'north';
    const base = d === 'centre' ? 5200 : d === 'riverside' ? 4600 : 3900;
    area.push(a);
    rooms.push(r);
    district.push(d);
    price.push(i % 17 === 5 ? null : Math.round((a * base + r * 9000 + noise(next) * 20000) / 100) * 100);
    year.push(i % 11 === 3 ? null : 1950 + Math.floor(next() * 70));
    balcony.push(i % 23 === 9 ? null : next() > 0.4);
  }
  return {
    rowCount: rows,
    columns: [
      numeric('area', area),
      numeric('rooms', rooms, 'integer'),
      text('district', district),
      numeric('price', price),
      numeric('year_built', year, 'integer'),
      {
        name: 'balcony',
        type: 'boolean',
        values: balcony,
        missing: balcony.filter((v) => v === null).length,
      },
    ],
  };
}

/** Iris-like flowers: three species in separable but overlapping clusters; measurements with ties. */
export function flowers(rows = 150): Table {
  const next = random(4_242);
  const species = ['setosa', 'versicolor', 'virginica'];
  const cols: Record<string, number[]> = {
    sepal_length: [],
    sepal_width: [],
    petal_length: [],
    petal_width: [],
  };
  const kinds: string[] = [];
  for (let i = 0; i < rows; i += 1) {
    const k = i % 3;
    kinds.push(species[k] ?? 'setosa');
    cols.sepal_length?.push(round(5 + k * 0.8 + noise(next) * 0.5, 1));
    cols.sepal_width?.push(round(3.4 - k * 0.3 + noise(next) * 0.4, 1));
    cols.petal_length?.push(round(1.5 + k * 2.2 + noise(next) * 0.6, 1));
    cols.petal_width?.push(round(0.3 + k * 0.8 + noise(next) * 0.3, 1));
  }
  return {
    rowCount: rows,
    columns: [...Object.entries(cols).map(([name, values]) => numeric(name, values)), text('species', kinds)],
  };
}

/**
 * A survey: integer scores 1..5 with heavy ties, ages, a collinear pair (income and income_k), missing
 * answers, and a category with a rare level.
 */
export function survey(rows = 80): Table {
  const next = random(99);
  const age: number[] = [];
  const score: (number | null)[] = [];
  const income: (number | null)[] = [];
  const incomeK: (number | null)[] = [];
  const region: (string | null)[] = [];
  for (let i = 0; i < rows; i += 1) {
    const a = 18 + Math.floor(next() * 60);
    age.push(a);
    score.push(i % 9 === 4 ? null : Math.max(1, Math.min(5, Math.round(3 + (a - 45) / 25 + noise(next)))));
    const inc = i % 13 === 6 ? null : Math.round(18000 + a * 700 + noise(next) * 8000);
    income.push(inc);
    incomeK.push(inc === null ? null : inc / 1000);
    region.push(i % 19 === 2 ? null : i % 29 === 0 ? 'islands' : next() > 0.5 ? 'east' : 'west');
  }
  return {
    rowCount: rows,
    columns: [
      numeric('age', age, 'integer'),
      numeric('score', score, 'integer'),
      numeric('income', income, 'integer'),
      numeric('income_k', incomeK),
      text('region', region),
    ],
  };
}

export const DATASETS: Record<string, () => Table> = { housing, flowers, survey };
