# Sourced by benchmarks that create many files: each tool writes into a file system made for it.
#
# Why: ext4 without a journal (this machine's root) skips every inode freed in the last minutes, one
# by one, when it allocates a new one, so a tool that creates 15,000 files shortly after another
# tool's files were deleted paid seconds of kernel time for it (bench/RESULTS.md, backups run 4 and
# files run 6): the results said more about the order of the tools than about the tools. A fresh
# ext4 (mkfs defaults, with a journal, as most servers have; inode tables and journal initialised
# before it is mounted, so no lazy-init thread writes behind the benchmark) gives every tool the same
# empty file system.
#
# fresh_fs DIR SIZE_MIB: mounts a new ext4 of SIZE_MIB at DIR (made if missing); the image is a
# sparse file under $FRESH_FS_DIR (default: the benchmark's own temp dir, $tmp). Needs root and
# loop devices; without them (or with FRESH_FS=0) DIR is just made, and fresh_fs_note says so.
# fresh_fs_drop DIR: unmounts DIR and deletes its image (nothing freed on the root file system but
# one file). fresh_fs_cleanup: drops them all; call it from the benchmark's exit trap.

FRESH_FS="${FRESH_FS:-1}"
fresh_fs_mounts=()
fresh_fs_note=""

fresh_fs_usable() {
  [ "$FRESH_FS" = 1 ] || { fresh_fs_note="FRESH_FS=0: every tool writes into the benchmark's temp dir"; return 1; }
  [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null && [ -e /dev/loop-control ] \
    || { fresh_fs_note="no root or no loop devices: every tool writes into the benchmark's temp dir"; return 1; }
}

fresh_fs() {
  local dir=$1 mib=$2 img
  mkdir -p "$dir"
  fresh_fs_usable || return 0
  img="${FRESH_FS_DIR:-$tmp}/fs.$(echo "$dir" | md5sum | cut -c1-12).img"
  truncate -s "${mib}M" "$img"
  if ! mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img" >/dev/null 2>&1 \
     || ! mount -o loop "$img" "$dir" 2>/dev/null; then
    rm -f "$img"
    fresh_fs_note="could not make or mount an ext4 image: every tool writes into the benchmark's temp dir"
    FRESH_FS=0
    return 0
  fi
  rmdir "$dir/lost+found" 2>/dev/null || true
  fresh_fs_mounts+=("$dir|$img")
}

fresh_fs_drop() {
  local dir=$1 i m
  for i in "${!fresh_fs_mounts[@]}"; do
    m="${fresh_fs_mounts[$i]}"
    if [ "${m%%|*}" = "$dir" ]; then
      umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || true
      rm -f "${m#*|}"
      unset "fresh_fs_mounts[$i]"
    fi
  done
  return 0
}

fresh_fs_cleanup() {
  local m
  for m in "${fresh_fs_mounts[@]}"; do
    umount "${m%%|*}" 2>/dev/null || umount -l "${m%%|*}" 2>/dev/null || true
    rm -f "${m#*|}"
  done
  fresh_fs_mounts=()
}

# What the report should say about where the tools wrote.
fresh_fs_describe() {
  if [ "$FRESH_FS" = 1 ] && fresh_fs_usable; then echo "each tool's files on a fresh ext4 of its own (loop device)"
  else echo "${fresh_fs_note:-shared temp dir}"; fi
}
