import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Internal packages are TypeScript source (exports point at src/*.ts): Next compiles them.
  transpilePackages: ["@concord/crowd", "@concord/db", "@concord/importer", "@concord/jobs"],
  // Native addons, wasm and connection pools stay plain Node requires instead of being bundled.
  serverExternalPackages: [
    "pg",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@prisma/driver-adapter-utils",
    "@node-rs/argon2",
    "sharp",
    "bullmq",
    "ioredis",
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-backend-wasm",
  ],
  // forbidden() / unauthorized() render app/forbidden.tsx with a real 403 status.
  experimental: { authInterrupts: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
