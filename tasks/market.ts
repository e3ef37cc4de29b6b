// Tasks are defined here (see tasks/index.ts).
export {};
