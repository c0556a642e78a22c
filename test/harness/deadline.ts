/**
 * How much longer than its nominal deadline a wait may take before a test gives up. A deadline is not a speed
 * assertion — it only bounds how long a broken condition takes to fail — so on a loaded machine (CI under a
 * soak, another suite beside it) it stretches instead of failing. `AGORA_TEST_DEADLINE_SCALE` overrides.
 */
export const DEADLINE_SCALE = Number(process.env.AGORA_TEST_DEADLINE_SCALE ?? 3);
