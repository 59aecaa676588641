// What madvise(MADV_POPULATE_WRITE) costs on pages that are already mapped, against a memset of
// the same bytes (Docs/benchmarks.md, session 8). gcc -O2 Benchmarks/populate_present.c -o /tmp/populate_present
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  size_t sizes[]={1<<20,4<<20,16<<20};
  for(int s=0;s<3;s++){ size_t n=sizes[s];
    char*p=mmap(0,n,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); memset(p,1,n);
    int reps=200; double t0=now(); for(int i=0;i<reps;i++) madvise(p,n,23); double t1=now();
    double t2=now(); for(int i=0;i<reps;i++) memset(p,i,n); double t3=now();
    printf("%zu KiB: populate on present pages %.1f us, memset %.1f us\n", n>>10, (t1-t0)/reps*1e6, (t3-t2)/reps*1e6);
    munmap(p,n);}
}
