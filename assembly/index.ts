// Entry of the kernels module. Only numbers and raw pointers cross the boundary: the JS glue
// (src/kernels/kernels.ts) copies data into memory obtained from `alloc` and copies results out.
export { alloc, reset } from './memory';
export {
  resample_u8, resample_i8, resample_u16, resample_i16,
  resample_u32, resample_i32, resample_f32, resample_f64,
} from './resample';
export {
  rescale_u8, rescale_i8, rescale_u16, rescale_i16,
  rescale_u32, rescale_i32, rescale_f32, rescale_f64,
} from './rescale';
export { apply_colormap } from './colormap';
export { lzw_decode } from './lzw';
export { predictor_horizontal, predictor_float } from './predictor';
export { delatin_mesh } from './delatin';
export { decode_elevation } from './elevation';
export { png_unfilter, png_unfilter_first_pixels } from './png';
export { qm_encode } from './quantized-mesh';
export { libm_sin, libm_cos, libm_atan, libm_exp } from './libm';
export { martini_mesh } from './martini';
export {
  blend_u8, blend_i8, blend_u16, blend_i16, blend_u32, blend_i32, blend_f32, blend_f64,
} from './blend';
