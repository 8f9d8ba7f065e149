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
  // packages/crowd writes NodeNext-style "./x.js" specifiers for its .ts files. Turbopack (Next 16.4) cannot
  // alias extensions (vercel/next.js#82945), so `build`/`dev` use webpack with TypeScript's resolution rule.
  webpack: (config: { resolve: { extensionAlias?: Record<string, string[]> } }) => {
    config.resolve.extensionAlias = { ".js": [".ts", ".tsx", ".js"], ".mjs": [".mts", ".mjs"] };
    return config;
  },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
