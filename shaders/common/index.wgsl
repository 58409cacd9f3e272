// The flat index of a thread in a 2-D grid of 1-D workgroups (y > 1 once x passes 65535 workgroups).
// The including kernel declares `const WG: u32`, its workgroup size.
fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}
