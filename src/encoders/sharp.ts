/**
 * sharp, configured once for use inside our Piscina workers: the pool already keeps every core busy, so
 * libvips must not start its own thread pool per worker, and its operation cache would only hold memory
 * (every tile is encoded once).
 */
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);

export default sharp;
