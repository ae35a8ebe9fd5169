// The public ABI files are compiled by AssemblyScript and by tsc. AssemblyScript's machine
// types appear in them as annotations; for the host they are plain numbers.
type i32 = number;
type u32 = number;
type u16 = number;
type u8 = number;
type usize = number;
type u64 = number;
